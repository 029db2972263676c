"""Guidance decision tables (场景式导办): the items they decide, and the tables they refuse."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.guidance import (
    INPUT_PLACEHOLDER,
    GuidanceError,
    _with_input_placeholder,
    compile_guidance,
)
from engine.problems import ThemeInvalid
from forms import load_catalog, load_theme_definition

REPO = Path(__file__).resolve().parents[2]
THEMES = REPO / "processes" / "themes"

QUESTIONS = {"floor_area": "经营面积", "outdoor_sign": "是否设置户外招牌", "kitchen": "厨房类型"}
ITEMS = {"FIRE-GZJHCS", "CG-HWZP", "WATER-PSXK"}
# (rule id, description, {variable: cell}, output cell)
RULES = [
    (
        "Rule_Fire",
        "经营面积达到150平方米的公众聚集场所须办理消防安全检查",
        {"floor_area": ">= 150"},
        '"FIRE-GZJHCS"',
    ),
    ("Rule_Sign", "设置户外招牌须办理招牌设置审批", {"outdoor_sign": "True"}, '"CG-HWZP"'),
    (
        "Rule_Water_Big",
        "经营面积达到300平方米的餐饮店须办理排水许可",
        {"floor_area": "300 <= ?"},
        '"WATER-PSXK"',
    ),
    (
        "Rule_Water_Kitchen",
        "中央厨房须办理排水许可",
        {"kitchen": '"central"'},
        '"WATER-PSXK"',
    ),
]


def table(
    rules=RULES,
    inputs=("floor_area", "outdoor_sign", "kitchen"),
    hit_policy="COLLECT",
    output_name="item",
    prolog="",
) -> str:
    columns = "".join(
        f'<input id="Input_{v}" label="{QUESTIONS.get(v, v)}">'
        f'<inputExpression id="InputExpression_{v}" typeRef="string">'
        f"<text>{v}</text></inputExpression></input>"
        for v in inputs
    )
    rows = ""
    for rule_id, description, cells, output in rules:
        entries = "".join(
            f'<inputEntry id="{rule_id}_{v}"><text>{_xml(cells.get(v, "-"))}</text></inputEntry>'
            for v in inputs
        )
        rows += (
            f'<rule id="{rule_id}"><description>{description}</description>{entries}'
            f'<outputEntry id="{rule_id}_out"><text>{_xml(output)}</text></outputEntry></rule>'
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
    xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
    id="Definitions_Guidance" name="导办" namespace="https://yjs.example.cn/dmn/test">
  <decision id="Decision_Guidance" name="导办决策">
    <decisionTable id="Table_Guidance" hitPolicy="{hit_policy}">
      {columns}
      <output id="Output_Item" label="事项" name="{output_name}" typeRef="string" />
      {rows}
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="Diagram_Guidance">
    <dmndi:DMNShape id="Shape_Guidance" dmnElementRef="Decision_Guidance">
      <dc:Bounds height="80" width="180" x="160" y="100" />
    </dmndi:DMNShape>
  </dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>"""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def compile_(dmn: str, items=ITEMS, variables=QUESTIONS):
    return compile_guidance(dmn, variables=variables, item_codes=items, labels=QUESTIONS)


def problems(dmn: str, **kw) -> list[tuple[str | None, str]]:
    with pytest.raises(ThemeInvalid) as caught:
        compile_(dmn, **kw)
    return [(p.element_id, p.message) for p in caught.value.problems]


@pytest.fixture(scope="module")
def guidance():
    return compile_(table())


def answers(floor_area=100, outdoor_sign=False, kitchen="ordinary"):
    return {"floor_area": floor_area, "outdoor_sign": outdoor_sign, "kitchen": kitchen}


# ---------- decisions ----------


def test_a_small_shop_without_sign_needs_no_conditional_item(guidance):
    assert guidance.decide(answers()) == ()


def test_boolean_question_selects_its_item(guidance):
    assert guidance.decide(answers(outdoor_sign=True)) == ("CG-HWZP",)
    assert guidance.decide(answers(outdoor_sign=False)) == ()


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (Decimal("149.99"), ()),
        (Decimal("150"), ("FIRE-GZJHCS",)),  # the threshold itself counts (达到)
        (150, ("FIRE-GZJHCS",)),
        (Decimal("299.5"), ("FIRE-GZJHCS",)),
        (Decimal("300.00"), ("FIRE-GZJHCS", "WATER-PSXK")),
        (1200, ("FIRE-GZJHCS", "WATER-PSXK")),
    ],
)
def test_numeric_thresholds_at_the_boundary(guidance, area, expected):
    assert guidance.decide(answers(floor_area=area)) == expected


def test_items_come_in_rule_order_and_once(guidance):
    # Two rules output the 排水许可; it is selected once, after the 消防 item of rule 1.
    decided = guidance.decide(answers(floor_area=500, outdoor_sign=True, kitchen="central"))
    assert decided == ("FIRE-GZJHCS", "CG-HWZP", "WATER-PSXK")
    why = guidance.matching_rules(answers(floor_area=10, kitchen="central"))
    assert [r.description for r in why] == ["中央厨房须办理排水许可"]


def test_rules_are_listed_for_display(guidance):
    first = guidance.rules[0]
    assert first.rule_id == "Rule_Fire"
    assert first.item == "FIRE-GZJHCS"
    assert first.description == "经营面积达到150平方米的公众聚集场所须办理消防安全检查"
    assert first.conditions == (("floor_area", ">= 150"), ("outdoor_sign", None), ("kitchen", None))
    assert first.as_dict()["conditions"][0] == {"variable": "floor_area", "test": ">= 150"}


def test_an_unanswered_question_is_named(guidance):
    incomplete = answers()
    del incomplete["floor_area"]
    with pytest.raises(GuidanceError) as caught:
        guidance.decide(incomplete)
    assert str(caught.value) == "请先回答导办问题“经营面积”"
    assert caught.value.variable == "floor_area"
    with pytest.raises(GuidanceError, match="请先回答导办问题“厨房类型”"):
        guidance.decide(answers(kitchen="  "))


def test_an_answer_of_the_wrong_type_is_named_not_a_crash(guidance):
    with pytest.raises(GuidanceError) as caught:
        guidance.decide(answers(floor_area="很大"))
    assert str(caught.value) == "导办问题“经营面积”的回答“很大”无法用于判断，请检查填写的内容"
    assert caught.value.variable == "floor_area"
    # In a `?` cell (`300 <= ?`) too, the question is named, not the placeholder.
    only_range = compile_(table([RULES[2]]), items={"WATER-PSXK"})
    with pytest.raises(GuidanceError) as caught:
        only_range.decide(answers(floor_area="很大"))
    assert str(caught.value) == "导办问题“经营面积”的回答“很大”无法用于判断，请检查填写的内容"
    with pytest.raises(GuidanceError, match="导办问题“是否设置户外招牌”的回答类型无法用于判断"):
        guidance.decide(answers(outdoor_sign=["yes"]))


# ---------- tables refused at compile time ----------


def test_xxe_is_refused_before_anything_is_read():
    dmn = table(prolog='<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace(
        "<description>", "<description>&x;", 1
    )
    ((element, message),) = problems(dmn)
    assert element is None
    assert message.startswith("导办决策表：不允许 DOCTYPE 声明")
    assert "root:" not in message


def test_malformed_xml_names_the_line():
    dmn = table().replace("</decisionTable>", "", 1)
    ((_, message),) = problems(dmn)
    assert message.startswith("导办决策表：XML 格式错误，第 ")


@pytest.mark.parametrize("payload", ["", "   ", b""])
def test_an_empty_file_is_not_a_table(payload):
    assert problems(payload) == [(None, "导办决策表文件为空，不是 DMN 文档")]


def test_a_bpmn_or_older_dmn_document_is_refused():
    bpmn = '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    assert problems(bpmn) == [(None, "导办决策表不是 DMN 1.3 文档（根元素应为 dmn:definitions）")]
    dmn12 = table().replace(
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
    )
    ((_, message),) = problems(dmn12)
    assert message.startswith("导办决策表须为 DMN 1.3 文档")


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("__import__('os')", "不允许使用以下划线开头的名称 __import__"),
        ("== __import__('os').system('id')", "不允许"),
        ('>= 150 or "".__class__', "不允许访问属性 .__class__"),
        (".__class__.__base__", "不允许访问属性"),
        ("? .real", "不允许访问属性 .real"),
        ("len('x') > 0", "不允许调用函数"),
        ("9**9**9 > 1", "不允许使用 Pow"),
        ("; import os", "语法错误"),
    ],
)
def test_hostile_cells_are_refused_with_the_cell_named(cell, fragment):
    rules = [RULES[0][:2] + ({"floor_area": cell},) + RULES[0][3:], *RULES[1:]]
    ((element, message),) = problems(table(rules))
    assert element == "Rule_Fire_floor_area"
    assert message.startswith(f"第 1 条规则的条件“{cell}”")
    assert fragment in message


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ('== "a" * 1000000000', "文字超过 10000 个字符"),
        ("<= " + "9" * 101, "数字超过 100 位"),
        ("? in [0] * 100000000", "超过 1000 项"),
        ("> " + " + ".join(["1"] * 60), "表达式嵌套过深"),
    ],
)
def test_cells_over_the_expression_budget_are_refused_with_the_cell_named(cell, fragment):
    rules = [RULES[0][:2] + ({"floor_area": cell},) + RULES[0][3:], *RULES[1:]]
    ((element, message),) = problems(table(rules))
    assert element == "Rule_Fire_floor_area"
    assert fragment in message


@pytest.mark.parametrize("cell", ["> " + " + ".join(["1"] * 100_000), '"' + "?" * 100_000])
def test_a_huge_cell_is_a_named_problem_not_a_crash(cell):
    rules = [RULES[0][:2] + ({"floor_area": cell},) + RULES[0][3:], *RULES[1:]]
    ((element, message),) = problems(table(rules))
    assert element == "Rule_Fire_floor_area"
    assert "过长" in message and len(message) < 300


def test_a_huge_output_cell_is_a_named_problem_not_a_crash():
    rules = [RULES[0][:3] + (" + ".join(['"A"'] * 100_000),), *RULES[1:]]
    found = problems(table(rules))
    assert [element for element, _ in found] == ["Rule_Fire_out"]


def test_a_cell_whose_cost_depends_on_the_answer_is_stopped_when_deciding():
    kitchen = ("Rule_Water_Kitchen", "中央厨房须办理排水许可")
    rules = [*RULES[:3], (*kitchen, {"kitchen": '? * 1000000 == "central"'}, '"WATER-PSXK"')]
    guidance = compile_(table(rules))  # the text alone does not show the cost
    with pytest.raises(GuidanceError) as caught:
        guidance.decide(answers(kitchen="central"))
    assert caught.value.variable == "kitchen"


@given(st.text(alphabet="?'\"a ", max_size=12))
def test_question_marks_are_found_as_dmnengine_finds_them(cell):
    # DMNEngine.evaluate's own pattern (SpiffWorkflow 3.2.0), quadratic on long cells.
    pattern = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
    assert _with_input_placeholder(cell) == pattern.sub(INPUT_PLACEHOLDER, cell)


def test_a_cell_naming_another_variable_is_refused():
    rules = [RULES[0][:2] + ({"floor_area": "== secret"},) + RULES[0][3:], *RULES[1:]]
    assert problems(table(rules)) == [
        (
            "Rule_Fire_floor_area",
            "第 1 条规则的条件“== secret”引用了未知变量 secret"
            "（可用：floor_area、kitchen、outdoor_sign）",
        )
    ]


def test_an_input_column_that_is_not_a_question_is_refused():
    dmn = table(inputs=("floor_area", "outdoor_sign", "kitchen", "income"))
    assert problems(dmn) == [
        (
            "Input_income",
            "导办决策表的条件列“income”的输入表达式“income”不是本主题的导办问题"
            "（可用：floor_area、kitchen、outdoor_sign）",
        )
    ]


def test_unknown_and_missing_items_are_all_reported():
    rules = [*RULES[:3], RULES[3][:3] + ('"TAX-NOPE"',)]
    found = problems(table(rules), items=ITEMS | {"PSB-XFBA"})
    assert found == [
        (
            "Rule_Water_Kitchen_out",
            "第 4 条规则输出的事项 TAX-NOPE 不是本主题由导办决定的事项"
            "（可选：CG-HWZP、FIRE-GZJHCS、PSB-XFBA、WATER-PSXK）",
        ),
        (
            "Table_Guidance",
            "事项 PSB-XFBA 由导办决定（selected_by: guidance），但导办决策表中没有规则输出它",
        ),
    ]


def test_outputs_must_be_quoted_item_codes():
    rules = [RULES[0][:3] + ("FIRE_GZJHCS",), *RULES[1:]]
    assert problems(table(rules)) == [
        ("Rule_Fire_out", '第 1 条规则的输出“FIRE_GZJHCS”应为带引号的事项编码，如 "FIRE-GZJHCS"'),
        (
            "Table_Guidance",
            "事项 FIRE-GZJHCS 由导办决定（selected_by: guidance），但导办决策表中没有规则输出它",
        ),
    ]


def test_structure_problems_are_reported_together():
    no_reason = [("Rule_Fire", "", *RULES[0][2:]), *RULES[1:]]
    found = dict(problems(table(no_reason, hit_policy="UNIQUE", output_name="result")))
    assert found["Table_Guidance"] == (
        "导办决策表的命中策略应为 COLLECT（收集所有符合的规则），当前为 UNIQUE"
    )
    assert found["Output_Item"] == "导办决策表的输出列名应为 item（事项编码），当前为“result”"
    assert found["Rule_Fire"] == (
        "第 1 条规则缺少说明（description），申请人将看不到为何须办理该事项"
    )


def test_two_decisions_are_refused():
    dmn = table()
    decision = dmn[dmn.index("<decision ") : dmn.index("</decision>") + len("</decision>")]
    second = decision.replace('id="', 'id="Second_')
    found = problems(dmn.replace(decision, decision + second))
    assert found == [
        (
            "Definitions_Guidance",
            "导办决策表只能有一个决策，现有 2 个（Decision_Guidance、Second_Decision_Guidance）",
        )
    ]


# ---------- the shipped themes ----------


def shipped_themes():
    return sorted(p.parent for p in THEMES.glob("*/theme.yaml"))


@pytest.mark.parametrize("theme_dir", shipped_themes(), ids=lambda p: p.name)
def test_every_shipped_guidance_table_compiles_against_its_theme(theme_dir):
    catalog = load_catalog(REPO / "processes" / "catalog")
    theme = load_theme_definition(theme_dir, catalog)
    if theme.guidance_file is None:
        assert not theme.conditional_items
        return
    guidance = compile_guidance(
        (theme_dir / theme.guidance_file).read_bytes(),
        variables=theme.questions,
        item_codes=theme.conditional_items,
        settings={setting.name: setting.value for setting in theme.settings},
    )
    assert {r.item for r in guidance.rules} == set(theme.conditional_items)
    assert all(r.description for r in guidance.rules)


def test_enterprise_opening_selects_the_housing_fund_only_when_asked():
    dmn = (THEMES / "enterprise-opening" / "guidance.dmn").read_bytes()
    guidance = compile_guidance(dmn, variables={"housing_fund"}, item_codes={"HF-DWJCDJ"})
    assert guidance.decide({"housing_fund": True}) == ("HF-DWJCDJ",)
    assert guidance.decide({"housing_fund": False}) == ()
