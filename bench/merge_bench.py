"""How long the one form takes at scale: 50 synthetic items × 40 fields, 30 % shared keys.

    .venv/bin/python -m bench.merge_bench [--repeat N]

A synthetic field dictionary with the product's real types (text, numbers, money, dates,
enums, yes/no, 手机号, 身份证号, 统一社会信用代码, 行政区划, a repeating group) and items that
narrow shared keys the way catalog items do, so the merge has real work: tightening
constraints, conditions, sections. Timed: `merge_forms`, `MergedForm.to_json_schema` and
`validate_application` of one complete application. Prints median and p95, and for the
merge and the validation the target of issue 21 and the reference of the same run (a plain
dictionary merge, fastjsonschema on the generated schema) with the ratio; nothing fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forms import Condition, Constraints, FieldUse, ItemRecord, merge_forms, validate_application
from forms.field_dictionary import parse_field_dictionary
from forms.problems import ProblemList

ITEMS = 50
# Issue 21's targets on the 2-core bench machine, for the median; each is printed beside its
# reference measured in the same run (a plain dictionary merge; fastjsonschema's compiled
# check of the form's JSON Schema).
TARGETS_MS = {"merge_forms": 5.0, "validate_application（完整申请）": 2.0}
FIELDS_PER_ITEM = 40
SHARED_SHARE = 0.3
SEED = 20260101  # the same catalog on every run, so runs compare

# Sample answers that pass the real validators (stdnum check digits, GB/T 2260 county).
VALID = {
    "string": "惠州市博罗县罗阳街道测试路1号",
    "text": "经营范围：餐饮服务；食品销售。",
    "integer": 12,
    "decimal": "35.5",
    "money": "100.00",
    "date": "2026-05-08",
    "datetime": "2026-05-08T09:30:00+08:00",
    "boolean": True,
    "region": "441322",
    "mobile": "13800138000",
    "id_number": "11010519491231002X",
    "uscc": "91350100M000100Y43",
    "email": "shenqing@example.com",
}
# Weights roughly as in fields.yaml: mostly text, then choices, numbers and identifiers.
TYPE_WEIGHTS = {
    "string": 30,
    "text": 4,
    "integer": 8,
    "decimal": 4,
    "money": 6,
    "date": 8,
    "datetime": 2,
    "enum": 12,
    "boolean": 8,
    "region": 4,
    "mobile": 6,
    "id_number": 5,
    "uscc": 2,
    "email": 1,
}


@dataclass(frozen=True)
class SyntheticCatalog:
    dictionary: dict
    items: list[ItemRecord]
    shared_keys: int
    application: dict[str, Any]


def _labelled(label: str, label_en: str, type_: str) -> dict[str, Any]:
    sensitive = type_ in ("mobile", "id_number")
    return {
        "label": label,
        "label_en": label_en,
        "type": type_,
        "privacy": "sensitive" if sensitive else "internal",
    }


def _definition(type_: str, index: int, rng: random.Random) -> dict[str, Any]:
    definition = _labelled(f"字段{index:04d}", f"Field {index}", type_)
    if type_ in ("string", "text"):
        definition["max_length"] = rng.choice((50, 100, 200, 500))
    elif type_ in ("integer", "decimal", "money"):
        definition["min"] = 0
        definition["max"] = 1_000_000
    elif type_ == "enum":
        definition["options"] = [
            {"value": f"v{k}", "label": f"选项{k}"} for k in range(rng.randint(2, 8))
        ]
    return definition


def synthetic_catalog(
    items: int = ITEMS, per_item: int = FIELDS_PER_ITEM, shared: float = SHARED_SHARE
) -> SyntheticCatalog:
    """Items whose fields are `shared` from one common pool, the rest their own."""
    rng = random.Random(SEED)
    types, weights = zip(*TYPE_WEIGHTS.items(), strict=True)
    shared_per_item = round(per_item * shared)
    own_per_item = per_item - shared_per_item - 2  # + one yes/no and the field it reveals
    pool = [f"common.f{k:03d}" for k in range(shared_per_item * 3)]

    raw: dict[str, Any] = {}
    for index, key in enumerate(pool):
        raw[key] = _definition(rng.choices(types, weights)[0], index, rng)
    raw["common.persons"] = {  # a repeating group, as 股东 in 企业开办
        **_labelled("人员", "Persons", "array"),
        "max_items": 50,
        "item_fields": {
            "name": {**_labelled("姓名", "Name", "string"), "max_length": 50},
            "mobile": _labelled("手机号", "Mobile", "mobile"),
        },
    }
    for i in range(items):
        raw[f"item{i:02d}.flag"] = _labelled(f"事项{i}是否需要", f"Item {i} needed", "boolean")
        for k in range(own_per_item + 1):
            raw[f"item{i:02d}.f{k:02d}"] = _definition(
                rng.choices(types, weights)[0], len(raw), rng
            )
    report = ProblemList("synthetic fields")
    dictionary = parse_field_dictionary(raw, report)
    if report.problems:
        raise RuntimeError(f"合成字段字典有误：{report.problems[:3]}")

    records = []
    for i in range(items):
        chosen = rng.sample(pool, shared_per_item - 1)
        uses = [_use(dictionary[key], rng) for key in chosen]
        uses.append(
            FieldUse(
                "common.persons",
                required=True,
                item_fields=(FieldUse("name", required=True), FieldUse("mobile", required=False)),
            )
        )
        flag = f"item{i:02d}.flag"
        uses.append(FieldUse(flag, required=True))
        uses += [
            FieldUse(f"item{i:02d}.f{k:02d}", required=rng.random() < 0.7)
            for k in range(own_per_item)
        ]
        uses.append(
            FieldUse(f"item{i:02d}.f{own_per_item:02d}", required=True, when=Condition(flag, True))
        )
        records.append(
            ItemRecord(
                code=f"SYN-I{i:02d}", name=f"合成事项{i:02d}", department="SYN", fields=tuple(uses)
            )
        )
    return SyntheticCatalog(
        dictionary, records, shared_per_item, _complete_application(dictionary, records)
    )


def _use(definition, rng: random.Random) -> FieldUse:
    # Items narrow shared keys as real ones do (企业名称 ≤ 50 in 设立登记): the stricter wins.
    narrowing = Constraints()
    if definition.type in ("string", "text") and rng.random() < 0.3:
        narrowing = Constraints(max_length=max(40, definition.constraints.max_length // 2))
    elif definition.type == "enum" and len(definition.options) > 2 and rng.random() < 0.3:
        narrowing = Constraints(options=definition.options[:-1])
    return FieldUse(definition.key, required=rng.random() < 0.6, narrowing=narrowing)


def _complete_application(dictionary: dict, items: list[ItemRecord]) -> dict[str, Any]:
    """Every field of every item answered with a valid value."""
    answers: dict[str, Any] = {}
    for item in items:
        for use in item.fields:
            definition = dictionary[use.key]
            if definition.type == "array":
                answers[use.key] = [{"name": f"张{k}", "mobile": "13900139000"} for k in range(3)]
            elif definition.type == "enum":
                answers[use.key] = definition.options[0].value
            else:
                answers[use.key] = VALID[definition.type]
    return answers


@dataclass(frozen=True)
class Timing:
    name: str
    samples: list[float]  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0] * 1000
        return statistics.quantiles(self.samples, n=20, method="inclusive")[-1] * 1000


def _time(name: str, run: Callable[[], Any], repeat: int) -> Timing:
    run()  # warm-up: imports, caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


def merge_bench(repeat: int = 30) -> tuple[SyntheticCatalog, dict[str, Any], list[Timing]]:
    """Time the three steps; returns the catalog, a summary of the form, and the timings."""
    catalog = synthetic_catalog()
    items, dictionary = catalog.items, catalog.dictionary
    order = [i.code for i in items]
    form = merge_forms(items, dictionary, order=order)
    errors = validate_application(form, catalog.application)
    if errors:  # the bench must time a valid application, or it times the error path
        raise RuntimeError(f"合成申请未通过校验：{errors[:3]}")
    summary = {
        "items": len(items),
        "item_fields": form.item_field_total,
        "fields_asked": form.fields_asked,
        "sections": len(form.sections),
        "schema_properties": len(form.to_json_schema()["properties"]),
    }
    import fastjsonschema

    compiled = fastjsonschema.compile(form.to_json_schema())
    timings = [
        _time("merge_forms", lambda: merge_forms(items, dictionary, order=order), repeat),
        _time(
            "  参照 reference: 普通字典合并 plain dict merge",
            lambda: _plain_merge(items, dictionary),
            repeat,
        ),
        _time("to_json_schema", form.to_json_schema, repeat),
        _time(
            "validate_application（完整申请）",
            lambda: validate_application(form, catalog.application),
            repeat,
        ),
        _time(
            "  参照 reference: fastjsonschema 生成的 schema",
            lambda: compiled(catalog.application),
            repeat,
        ),
    ]
    return catalog, summary, timings


def _plain_merge(items: list[ItemRecord], dictionary: dict) -> dict[str, dict]:
    """The same data merged as plain dictionaries: each key's definition, once, with the
    union of the items asking it and whether any requires it (no constraints, no order)."""
    merged: dict[str, dict] = {}
    for item in items:
        for use in item.fields:
            entry = merged.get(use.key)
            if entry is None:
                entry = merged[use.key] = {"definition": dictionary.get(use.key), "items": []}
            entry["items"].append(item.code)
            entry["required"] = entry.get("required", False) or use.required
    return merged


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cols: int) -> str:
    return text + " " * max(0, cols - _width(text))


def _rpad(text: str, cols: int) -> str:
    return " " * max(0, cols - _width(text)) + text


def report(repeat: int = 30) -> str:
    """The bench as printed by `python -m bench` (Chinese and English labels)."""
    catalog, summary, timings = merge_bench(repeat)
    lines = [
        "一表合并基准 / merge benchmark — 合成事项 synthetic items",
        (
            f"{summary['items']} 个事项 items × {FIELDS_PER_ITEM} 个字段 fields, "
            f"每项 {catalog.shared_keys} 个共用字段键 shared keys ({SHARED_SHARE:.0%}); "
            f"合并后 {summary['fields_asked']} 个字段 asked of {summary['item_fields']}, "
            f"{summary['sections']} 个栏目 sections, "
            f"JSON Schema {summary['schema_properties']} properties; {repeat} 次 repetitions"
        ),
    ]
    name_width = max(_width(t.name) for t in timings) + 4
    lines.append(
        _pad("步骤 step", name_width) + _rpad("中位数 median ms", 20) + _rpad("p95 ms", 12)
    )
    product = None
    verdicts = []
    for t in timings:
        line = _pad(t.name, name_width) + f"{t.median_ms:>20.2f}{t.p95_ms:>12.2f}"
        if t.name in TARGETS_MS:
            product = t
            line += f"   目标 target ≤ {TARGETS_MS[t.name]:.0f} ms"
        elif product is not None and t.name.strip().startswith("参照"):
            line += f"   产品/参照 product/reference = {product.median_ms / t.median_ms:.1f}×"
            verdicts.append(_verdict(product, t))
            product = None
        lines.append(line)
    lines.append("目标 targets (issue 21, 中位数 median):")
    lines += verdicts
    return "\n".join(lines)


def _verdict(product: Timing, reference: Timing) -> str:
    """One target: the product's median against it, beside its reference of the same run."""
    target = TARGETS_MS[product.name]
    met = "达标 met" if product.median_ms <= target else "未达标 missed"
    return (
        f"  {product.name}: {product.median_ms:.2f} ms, 目标 target ≤ {target:.0f} ms, {met}; "
        f"参照 reference {reference.median_ms:.2f} ms "
        f"({product.median_ms / reference.median_ms:.1f}×)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merge_bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=30, metavar="N", help="repetitions (30)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    print(report(args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
