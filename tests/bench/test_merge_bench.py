"""The merge bench measures what it says: 50 items × 40 fields, 30 % shared, a valid
application. Only the shape is checked here; timings are printed, never asserted."""

import importlib.util
import sys
from pathlib import Path

from forms import merge_forms, validate_application

# bench/ is run as `python -m bench` from the repository, not installed: load it by path.
_PATH = Path(__file__).resolve().parents[2] / "bench" / "merge_bench.py"
_SPEC = importlib.util.spec_from_file_location("merge_bench", _PATH)
merge_bench = importlib.util.module_from_spec(_SPEC)
sys.modules["merge_bench"] = merge_bench  # dataclasses look their module up by name
_SPEC.loader.exec_module(merge_bench)
FIELDS_PER_ITEM, ITEMS = merge_bench.FIELDS_PER_ITEM, merge_bench.ITEMS
report, synthetic_catalog = merge_bench.report, merge_bench.synthetic_catalog


def test_the_synthetic_catalog_has_the_announced_shape():
    catalog = synthetic_catalog()
    assert len(catalog.items) == ITEMS
    assert {len(item.fields) for item in catalog.items} == {FIELDS_PER_ITEM}
    shared = {key for key in catalog.dictionary if key.startswith("common.")}
    for item in catalog.items:
        own_shared = [u for u in item.fields if u.key in shared]
        assert len(own_shared) == round(FIELDS_PER_ITEM * 0.3)
    types = {definition.type for definition in catalog.dictionary.values()}
    assert {"money", "date", "enum", "id_number", "uscc", "region", "array"} <= types


def test_the_timed_application_is_valid_and_shared_keys_are_asked_once():
    catalog = synthetic_catalog()
    form = merge_forms(catalog.items, catalog.dictionary)
    assert validate_application(form, catalog.application) == []
    assert form.item_field_total == ITEMS * FIELDS_PER_ITEM
    assert form.fields_asked < form.item_field_total


def test_the_report_prints_median_and_p95_for_each_step():
    text = report(repeat=2)
    assert "median" in text and "p95" in text
    for step in ("merge_forms", "to_json_schema", "validate_application"):
        assert step in text


def test_the_report_sets_each_target_beside_its_reference_of_the_same_run():
    text = report(repeat=2)
    verdicts = text.split("目标 targets (issue 21, 中位数 median):\n", 1)[1].splitlines()
    assert [line.split(":")[0].strip() for line in verdicts] == [
        "merge_forms",
        "validate_application（完整申请）",
    ]
    for line, target in zip(verdicts, ("≤ 5 ms", "≤ 2 ms"), strict=True):
        assert target in line and "参照 reference" in line and "×" in line
        assert ("达标 met" in line) != ("未达标 missed" in line)  # met or not, never asserted
