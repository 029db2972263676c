"""The item catalog: field dictionary, departments and item records, loaded and checked.

`load_catalog` reads `processes/catalog/` and refuses it with every problem found, each
naming its file, item and field, so an analyst can fix them all in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog_files import RecordReader, read_yaml
from .field_dictionary import FieldDef, parse_field_dictionary
from .items import ItemRecord, parse_item
from .problems import CatalogInvalid, CatalogProblem, ProblemList

DEPARTMENT_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Department:
    """A department, and the names analysts may give its lane in a BPMN diagram."""

    code: str
    name: str
    lane_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Everything in `processes/catalog/`, checked; dictionaries keep file order."""

    fields: dict[str, FieldDef]
    departments: dict[str, Department]
    items: dict[str, ItemRecord]
    root: Path | None = field(default=None, compare=False)

    def item(self, code: str) -> ItemRecord:
        return self.items[code]

    def department_of(self, item: ItemRecord) -> Department:
        return self.departments[item.department]

    def lane_departments(self) -> dict[str, str]:
        """Lane name → department code, as `engine.theme_spec.compile_theme` expects."""
        lanes: dict[str, str] = {}
        for department in self.departments.values():
            for name in (department.name, *department.lane_names):
                lanes[name] = department.code
        return lanes


def load_catalog(root: Path) -> Catalog:
    """Read and check fields.yaml, departments.yaml and items/*.yaml under `root`.

    Raises CatalogInvalid carrying every problem found.
    """
    root = Path(root)
    problems: list[CatalogProblem] = []

    fields_report = ProblemList("fields.yaml", problems)
    data = _read(root / "fields.yaml", fields_report)
    dictionary = parse_field_dictionary(data, fields_report) if data is not None else {}
    written = data.keys() if isinstance(data, Mapping) else ()
    broken_keys = frozenset(str(k) for k in written) - set(dictionary)

    departments_report = ProblemList("departments.yaml", problems)
    data = _read(root / "departments.yaml", departments_report)
    departments = _parse_departments(data, departments_report) if data is not None else {}
    department_lookup = {d.code: d.code for d in departments.values()}
    department_lookup.update({d.name: d.code for d in departments.values()})

    items: dict[str, ItemRecord] = {}
    files_of: dict[str, list[str]] = {}
    item_paths = sorted((root / "items").glob("*.yaml")) if (root / "items").is_dir() else []
    if not item_paths:
        problems.append(CatalogProblem("items/", "事项目录为空或不存在"))
    for path in item_paths:
        rel = f"items/{path.name}"
        report = ProblemList(rel, problems, item=path.stem)
        data = read_yaml(path, report)
        if data is None:
            continue
        item = parse_item(data, dictionary, department_lookup, report, broken_keys)
        if item.code == "?":
            continue
        if item.code != path.stem:
            report.for_item(item.code).add(
                f"事项 {item.code} 的编码与文件名 {path.name} 不一致，应命名为 {item.code}.yaml"
            )
        files_of.setdefault(item.code, []).append(rel)
        items.setdefault(item.code, item)

    for code, files in files_of.items():
        if len(files) > 1:
            for rel in files:
                problems.append(
                    CatalogProblem(rel, f"事项编码 {code} 重复（{'、'.join(files)}）", item=code)
                )
    # An item whose file failed to parse still exists: don't also report it as unknown.
    known_codes = set(items) | {path.stem for path in item_paths}
    _check_materials_across_items(items, known_codes, problems)
    if problems:
        raise CatalogInvalid(problems)
    return Catalog(dictionary, departments, items, root)


def _read(path: Path, report: ProblemList) -> Any:
    if not path.is_file():
        report.add("文件不存在")
        return None
    return read_yaml(path, report)


def _parse_departments(data: Any, report: ProblemList) -> dict[str, Department]:
    if not isinstance(data, list):
        report.add("部门目录应为列表，每项含 code、name、lane_names")
        return {}
    departments: dict[str, Department] = {}
    lane_owner: dict[str, str] = {}
    for entry in data:
        code = entry.get("code") if isinstance(entry, Mapping) else None
        reader = RecordReader(entry, f"部门 {code or '?'}", report, ("code", "name", "lane_names"))
        code, name = reader.text("code"), reader.text("name")
        lane_names = reader.texts("lane_names")
        if code is None or name is None:
            continue
        if not DEPARTMENT_CODE_PATTERN.match(code):
            reader.problem("的编码应为大写英文、数字和下划线")
        if code in departments:
            reader.problem("的编码重复")
            continue
        for lane in (name, *lane_names):
            owner = lane_owner.setdefault(lane, code)
            if owner != code:
                reader.problem(f"的泳道名称“{lane}”已属于部门 {owner}")
        departments[code] = Department(code, name, lane_names)
    return departments


def _check_materials_across_items(
    items: Mapping[str, ItemRecord], known_codes: set[str], problems: list[CatalogProblem]
) -> None:
    # A material code means one thing across the catalog: that is what lets the merge
    # ask it once. And a theme material must name an item that can produce it.
    name_of: dict[str, tuple[str, str]] = {}
    for item in items.values():
        rel = f"items/{item.code}.yaml"
        for material in item.materials:
            where = f"事项 {item.code} 材料 {material.code}"
            first = name_of.setdefault(material.code, (material.name, item.code))
            if first[0] != material.name:
                problems.append(
                    CatalogProblem(
                        rel,
                        f"{where} 的名称“{material.name}”与事项 {first[1]} 中的“{first[0]}”不一致",
                        item=item.code,
                        field=material.code,
                    )
                )
            if material.produced_by is None:
                continue
            if material.produced_by == item.code:
                message = f"{where} 的 produced_by 不能是事项自身"
            elif material.produced_by not in known_codes:
                message = f"{where} 的 produced_by 事项 {material.produced_by} 不在事项目录中"
            else:
                continue
            problems.append(CatalogProblem(rel, message, item=item.code, field=material.code))


def item_documents(root: Path) -> dict[str, dict[str, Any]]:
    """Each item file's record as written (code → mapping), for editing and comparing.

    Files that cannot be read are left out: `load_catalog` is what reports them.
    """
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted((Path(root) / "items").glob("*.yaml")):
        data = read_yaml(path, ProblemList(f"items/{path.name}"))
        if isinstance(data, Mapping) and isinstance(data.get("code"), str):
            documents[data["code"]] = dict(data)
    return documents


def with_item_records(catalog: Catalog, documents: Mapping[str, Any]) -> Catalog:
    """`catalog` with these item records (code → record as in an item file) in place of
    its own, read and checked by exactly the rules `load_catalog` applies to the files.

    Raises CatalogInvalid with every problem, each naming `items/<code>.yaml`.
    """
    if not documents:
        return catalog
    problems: list[CatalogProblem] = []
    department_lookup = {d.code: d.code for d in catalog.departments.values()}
    department_lookup.update({d.name: d.code for d in catalog.departments.values()})
    items = dict(catalog.items)
    for code, data in documents.items():
        report = ProblemList(f"items/{code}.yaml", problems, item=code)
        item = parse_item(data, catalog.fields, department_lookup, report)
        if item.code != code:
            report.add(f"事项编码应为 {code}，不能改为 {item.code}")
            continue
        items[code] = item
    _check_materials_across_items(items, set(items), problems)
    if problems:
        raise CatalogInvalid(problems)
    return Catalog(catalog.fields, catalog.departments, items, catalog.root)
