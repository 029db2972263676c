"""Loading the shipped catalog and theme, and refusing broken ones with every problem named."""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from forms import CatalogInvalid, load_catalog, load_theme_definition, theme_form

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "processes" / "catalog"
THEME = REPO / "processes" / "themes" / "enterprise-opening"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ENTERPRISE_ITEMS = ("SAMR-QYSLDJ", "PSB-GZKZBA", "TAX-SSSXBL", "HRSS-DWCBDJ", "HF-DWJCDJ")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


@pytest.fixture
def catalog_copy(tmp_path):
    """A writable copy of the shipped catalog and theme, to break on purpose."""
    shutil.copytree(CATALOG, tmp_path / "catalog")
    shutil.copytree(THEME, tmp_path / "enterprise-opening")
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems_of(root: Path) -> list[str]:
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(root)
    return [str(p) for p in caught.value.problems]


# ---------- the shipped data ----------


def test_shipped_catalog_has_the_enterprise_items_and_departments(catalog):
    assert set(ENTERPRISE_ITEMS) <= set(catalog.items)
    assert {"FRONT_DESK", "SAMR", "PSB", "TAX", "HRSS", "HF"} <= set(catalog.departments)
    registration = catalog.item("SAMR-QYSLDJ")
    assert registration.result.name == "营业执照"
    assert registration.result.e_licence is True
    assert catalog.department_of(catalog.item("PSB-GZKZBA")).name == "公安局"
    assert str(catalog.item("PSB-GZKZBA").promised_days) == "0.5"
    shareholders = catalog.fields["shareholders"]
    assert [f.key for f in shareholders.item_fields] == [
        "name", "type", "id_code", "capital", "method", "due_date",
    ]  # fmt: skip
    assert catalog.fields["seal.kinds"].multiple is True
    assert catalog.fields["legal_rep.id_number"].privacy == "sensitive"


def test_shipped_theme_loads_and_merges_without_conflict(catalog):
    theme = load_theme_definition(THEME, catalog)
    assert theme.item_codes == ENTERPRISE_ITEMS
    assert theme.task_of("HF-DWJCDJ") == "Task_HousingFund"
    assert theme.questions == {"housing_fund": "housing_fund.needed"}
    assert theme.question_keys == ("housing_fund.needed",)
    assert theme.guidance_file == "guidance.dmn"
    assert theme.conditional_items == ("HF-DWJCDJ",)
    # The guidance table decides the conditional items; the rest are always selected.
    assert theme.selected_items(()) == ENTERPRISE_ITEMS[:4]
    assert theme.selected_items({"HF-DWJCDJ"}) == ENTERPRISE_ITEMS
    assert theme.selected_items({"PSB-NOPE"}) == ENTERPRISE_ITEMS[:4]
    assert theme.process_variables(ENTERPRISE_ITEMS) == {"housing_fund": True}
    assert theme.process_variables(ENTERPRISE_ITEMS[:4]) == {"housing_fund": False}
    form = theme_form(theme, catalog)
    assert form.item_codes == ENTERPRISE_ITEMS


def test_theme_tasks_and_lanes_match_the_bpmn(catalog):
    # The engine compiles the BPMN; this only checks our data names its tasks and lanes.
    theme = load_theme_definition(THEME, catalog)
    root = ET.parse(THEME / "process.bpmn").getroot()
    task_ids = {t.get("id") for t in root.iter(f"{BPMN}userTask")}
    assert {theme.acceptance_task, theme.delivery_task, *(i.task for i in theme.items)} <= task_ids
    lanes = catalog.lane_departments()
    lane_of_task = {
        ref.text: lane.get("name")
        for lane in root.iter(f"{BPMN}lane")
        for ref in lane.iter(f"{BPMN}flowNodeRef")
    }
    for entry in theme.items:
        department = catalog.item(entry.item).department
        assert lanes[lane_of_task[entry.task]] == department, entry.item
    assert lanes[lane_of_task[theme.acceptance_task]] == "FRONT_DESK"


# ---------- broken catalogs ----------


def test_unknown_field_key_is_named_with_file_item_and_field(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/PSB-GZKZBA.yaml", "{key: enterprise.name,", "{key: enterprise.nmae,")
    problems = problems_of(root)
    assert problems == [
        "items/PSB-GZKZBA.yaml: 事项 PSB-GZKZBA 字段 enterprise.nmae 不在字段字典中"
    ]


def test_material_without_source_is_refused(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/HRSS-DWCBDJ.yaml", "    source: applicant\n", "")
    problems = problems_of(root)
    assert len(problems) == 1
    assert problems[0].startswith("items/HRSS-DWCBDJ.yaml: 事项 HRSS-DWCBDJ 材料 CL-CBZGHMC")
    assert "缺少来源 source" in problems[0]


def test_every_problem_is_reported_at_once(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/PSB-GZKZBA.yaml", "source: theme", "source: somewhere")
    edit(root / "items/TAX-SSSXBL.yaml", "    produced_by: SAMR-QYSLDJ\n", "")
    edit(root / "items/HF-DWJCDJ.yaml", "    e_licence_type: 居民身份证\n", "", count=1)
    edit(root / "items/HRSS-DWCBDJ.yaml", "department: 人社局", "department: 社保局")
    edit(root / "items/PSB-GZKZBA.yaml", "options: [window, post]", "options: [window, drone]")
    edit(root / "items/SAMR-QYSLDJ.yaml", "max_length: 50}", "max_length: 500}")
    problems = "\n".join(problems_of(root))
    expected = [
        "items/PSB-GZKZBA.yaml: 事项 PSB-GZKZBA 材料 CL-YYZZ 的来源“somewhere”无效",
        "items/TAX-SSSXBL.yaml: 事项 TAX-SSSXBL 材料 CL-YYZZ 缺少必填属性 produced_by",
        "items/HF-DWJCDJ.yaml: 事项 HF-DWJCDJ 材料 CL-FDDBRSFZM 缺少必填属性 e_licence_type",
        "items/HRSS-DWCBDJ.yaml: 事项 HRSS-DWCBDJ 的实施部门“社保局”不在部门目录中",
        "items/PSB-GZKZBA.yaml: 事项 PSB-GZKZBA 字段 delivery.method 的约束与字段字典不符："
        "可选值 drone 不在字段字典的可选值中",
        "items/SAMR-QYSLDJ.yaml: 事项 SAMR-QYSLDJ 字段 enterprise.name 的约束与字段字典不符："
        "最大长度 500 超出字段字典的 100",
    ]
    for line in expected:
        assert line in problems


def test_problems_carry_item_and_field_for_the_web_app(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/PSB-GZKZBA.yaml", "{key: seal.maker,", "{key: seal.makr,")
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(root)
    (problem,) = caught.value.problems
    assert (problem.file, problem.item, problem.field) == (
        "items/PSB-GZKZBA.yaml", "PSB-GZKZBA", "seal.makr",
    )  # fmt: skip


def test_duplicate_item_codes_are_refused(catalog_copy):
    root = catalog_copy / "catalog"
    shutil.copy(root / "items/PSB-GZKZBA.yaml", root / "items/PSB-GZKZBA2.yaml")
    problems = "\n".join(problems_of(root))
    assert "事项编码 PSB-GZKZBA 重复" in problems
    assert (
        "items/PSB-GZKZBA2.yaml: 事项 PSB-GZKZBA 的编码与文件名 PSB-GZKZBA2.yaml 不一致" in problems
    )


def test_yaml_syntax_error_names_the_line(catalog_copy):
    root = catalog_copy / "catalog"
    path = root / "items/TAX-SSSXBL.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = lines.index("kind: 承诺件")
    lines[broken] = "kind: [承诺件"
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = problems_of(root)
    assert len(problems) == 1
    assert problems[0].startswith("items/TAX-SSSXBL.yaml:")
    assert "YAML 语法错误" in problems[0]
    reported_line = int(problems[0].split(":")[1])
    assert broken + 1 <= reported_line <= broken + 3  # the parser notices soon after


def test_an_empty_item_file_is_refused(catalog_copy):
    root = catalog_copy / "catalog"
    (root / "items/PSB-GZKZBA.yaml").write_text("# 待补充\n", encoding="utf-8")
    problems = problems_of(root)
    assert "items/PSB-GZKZBA.yaml: 文件为空" in problems


def test_a_key_defined_twice_in_the_dictionary_is_refused(catalog_copy):
    # Plain YAML would keep the second definition silently.
    root = catalog_copy / "catalog"
    fields = root / "fields.yaml"
    text = fields.read_text(encoding="utf-8")
    fields.write_text(text + "\ncontact.name:\n  label: 联系人\n  type: integer\n", "utf-8")
    second = text.count("\n") + 2
    assert f"fields.yaml:{second}: 键 contact.name 重复出现（后一个会覆盖前一个）" in problems_of(
        root
    )


def test_produced_by_must_name_a_catalog_item(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/HF-DWJCDJ.yaml", "produced_by: SAMR-QYSLDJ", "produced_by: SAMR-NOPE")
    assert problems_of(root) == [
        "items/HF-DWJCDJ.yaml: 事项 HF-DWJCDJ 材料 CL-YYZZ 的 produced_by "
        "事项 SAMR-NOPE 不在事项目录中"
    ]


def test_condition_and_identifier_dependencies_must_be_asked_by_the_item(catalog_copy):
    root = catalog_copy / "catalog"
    edit(root / "items/TAX-SSSXBL.yaml", "  - {key: invoice.needed, required: true}\n", "")
    edit(root / "items/HF-DWJCDJ.yaml", "  - {key: applicant.id_type, required: true}\n", "")
    problems = "\n".join(problems_of(root))
    assert (
        "事项 TAX-SSSXBL 字段 invoice.kinds 的条件字段 invoice.needed 不在本事项的字段中"
        in problems
    )
    assert (
        "事项 HF-DWJCDJ 字段 applicant.id_number 依赖的 applicant.id_type 不在本事项的字段中"
        in problems
    )


def test_incompatible_narrowing_by_two_items_is_refused_for_the_theme(catalog_copy):
    # Each item is fine alone; together they leave 企业类型 no possible value.
    root = catalog_copy / "catalog"
    edit(
        root / "items/HRSS-DWCBDJ.yaml",
        "{key: enterprise.type, required: true}",
        "{key: enterprise.type, required: true, options: [llc, joint_stock]}",
    )
    edit(
        root / "items/HF-DWJCDJ.yaml",
        "{key: enterprise.type, required: true}",
        "{key: enterprise.type, required: true, options: [sole_proprietorship]}",
    )
    catalog = load_catalog(root)
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(root.parent / "enterprise-opening", catalog)
    (problem,) = caught.value.problems
    assert problem.file == "enterprise-opening/theme.yaml"
    assert problem.field == "enterprise.type"
    message = str(problem)
    for part in (
        "enterprise.type",
        "企业类型",
        "单位参保登记",
        "HRSS-DWCBDJ",
        "住房公积金单位缴存登记",
        "HF-DWJCDJ",
        "items/HRSS-DWCBDJ.yaml",
        "items/HF-DWJCDJ.yaml",
        "可选值没有交集",
    ):
        assert part in message


def test_theme_referring_to_unknown_things_is_refused(catalog_copy, catalog):
    theme_dir = catalog_copy / "enterprise-opening"
    edit(theme_dir / "theme.yaml", "{item: PSB-GZKZBA,", "{item: PSB-NOPE,")
    edit(
        theme_dir / "theme.yaml",
        "housing_fund: housing_fund.needed",
        "housing_fund: housing_fund.needed\n  partners: shareholders\n  area: shop.area",
    )
    edit(theme_dir / "theme.yaml", "housing_fund: HF-DWJCDJ", "housing_fund: HF-NOPE")
    edit(theme_dir / "theme.yaml", "lead_department: SAMR", "lead_department: XYZ")
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(theme_dir, catalog)
    problems = "\n".join(str(p) for p in caught.value.problems)
    assert "主题 enterprise-opening 事项 PSB-NOPE 不在事项目录中" in problems
    assert "导办问题 partners 字段 shareholders 不能是重复组" in problems
    assert "导办问题 area 字段 shop.area 不在字段字典中" in problems
    assert "流程变量 housing_fund 对应的事项 HF-NOPE 不是本主题的事项" in problems
    assert "牵头部门 XYZ 不在部门目录中" in problems


def test_conditional_items_need_a_guidance_table(catalog_copy, catalog):
    theme_dir = catalog_copy / "enterprise-opening"
    edit(theme_dir / "theme.yaml", "guidance: guidance.dmn", "")
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(theme_dir, catalog)
    assert [str(p) for p in caught.value.problems] == [
        "enterprise-opening/theme.yaml: 主题 enterprise-opening 有由导办决定的事项"
        "（selected_by: guidance），但缺少 guidance 决策表文件"
    ]

    edit(theme_dir / "theme.yaml", "questions:", "guidance: ../guidance.dmn\nquestions:")
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(theme_dir, catalog)
    assert "guidance 应为同目录下的 .dmn 文件名，当前为“../guidance.dmn”" in str(caught.value)

    (theme_dir / "guidance.dmn").unlink()
    edit(theme_dir / "theme.yaml", "guidance: ../guidance.dmn", "guidance: guidance.dmn")
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(theme_dir, catalog)
    assert "导办决策表文件 guidance.dmn 不存在" in str(caught.value)


def test_the_old_condition_key_says_what_replaces_it(catalog_copy, catalog):
    theme_dir = catalog_copy / "enterprise-opening"
    edit(theme_dir / "theme.yaml", "selected_by: guidance", "condition: housing_fund.needed")
    with pytest.raises(CatalogInvalid) as caught:
        load_theme_definition(theme_dir, catalog)
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "enterprise-opening/theme.yaml: 主题 enterprise-opening 事项 HF-DWJCDJ 的 condition "
        "已不再使用：改为 selected_by: guidance，并在导办决策表（guidance）中写明何时办理"
    ]


def test_a_field_says_which_licence_fills_it(catalog, catalog_copy):
    # 智能填报: the company's name and USCC come from a held 营业执照.
    assert catalog.fields["enterprise.uscc"].from_licence == ("营业执照", "number")
    assert catalog.fields["enterprise.name"].from_licence == ("营业执照", "holder")
    root = catalog_copy / "catalog"
    edit(root / "fields.yaml", "{type: 营业执照, part: number}", "{type: 营业执照, part: address}")
    assert any("from_licence 应写作" in p for p in problems_of(root))


def test_only_the_applicant_s_own_fields_are_reused_from_earlier_cases(catalog, catalog_copy):
    reused = {key for key, f in catalog.fields.items() if f.reuse}
    assert {"applicant.name", "applicant.mobile", "enterprise.name"} <= reused
    # Fields about other people never are: they belong to whoever the next case names.
    people = ("legal_rep.", "seller", "buyer", "father.", "mother.", "newborn.", "contact.")
    assert not [key for key in reused if key.startswith(people)]
    root = catalog_copy / "catalog"
    edit(
        root / "fields.yaml",
        "  type: array\n  min_items: 1",
        "  type: array\n  reuse: true\n  min_items: 1",
    )
    assert any("reuse 只能用于单个字段" in p for p in problems_of(root))
