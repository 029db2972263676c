"""Path simulation before publishing: every distinct guidance outcome run in memory."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from engine.guidance import compile_guidance
from engine.simulation import Question, answer_candidates, working_days_after
from engine.theme_spec import compile_theme
from forms import load_catalog, load_theme_definition
from webapp.themes import theme_forms
from webapp.themes.published import load_published_theme
from webapp.themes.shipped import definition_document
from webapp.themes.simulation import simulate_theme

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
CATALOG = load_catalog(PROCESSES / "catalog")
MONDAY = dt.date(2026, 11, 30)


def _every_day(day: dt.date) -> bool:
    return True


def _shipped(code: str):
    folder = PROCESSES / "themes" / code
    typed = load_published_theme(
        definition_document(load_theme_definition(folder, CATALOG), CATALOG)
    )
    bpmn = (folder / "process.bpmn").read_text(encoding="utf-8")
    dmn = (folder / "guidance.dmn").read_text(encoding="utf-8")
    return typed, bpmn, dmn


def _simulate(code: str, bpmn: str | None = None, typed=None, **kwargs):
    shipped, shipped_bpmn, dmn = _shipped(code)
    typed = typed or shipped
    compiled = compile_theme(bpmn or shipped_bpmn, CATALOG.lane_departments())
    guidance = theme_forms.compile_version_guidance(typed, dmn)
    return simulate_theme(typed, compiled, guidance, accepted_on=MONDAY, **kwargs)


# Expected figures worked out by hand from the diagrams and the catalog's committed days
# (受理 and 出件 1 day each; parallel items count their slowest; serial ones add up).
SHIPPED = {
    # 设立登记 1 → max(印章 0.5, 涉税 1, 社保 0, 公积金 1)
    "enterprise-opening": (2, {4}),
    # 出生医学证明 0 → max(户口 0 → 社保卡 5 if chosen, 接种 0, 医保 0)
    "newborn": (4, {2, 7}),
    # (营业执照 1 or 个体工商户登记 0 (即办) if not registered) → max(食品经营许可 5, 消防 3,
    # 招牌 3, 排水 3): 3 licence choices × fire × sign × sewage
    "restaurant-opening": (24, {7, 8}),
    # max(网签 0, 税费计核 1) → 缴税 0 → 转移登记 3 (→ 带押过户的抵押登记 1) → 过户 0
    "second-hand-housing": (32, {6, 7}),
}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_path_of_each_shipped_theme_ends(code):
    paths, days = SHIPPED[code]
    report = _simulate(code)
    assert report.problems == []
    assert len(report.paths) == paths
    assert all(p.ended and p.ok for p in report.paths)
    assert {p.promised_days for p in report.paths} == {Decimal(d) for d in days}
    # Every person's task of the diagram is reached on some path.
    reached = {t for p in report.paths for t in p.tasks}
    assert reached == set(_shipped(code)[0].task_departments) | reached
    for path in report.paths:
        assert path.tasks[0] == "Task_Accept" and path.tasks[-1] == "Task_Deliver"


def test_restaurant_paths_follow_the_thresholds_with_boundary_values():
    report = _simulate("restaurant-opening")
    fire = [p for p in report.paths if "FIRE-GZJHCS" in p.selected]
    # > 300 ㎡ (the county's setting, read by name): 300.01 needs the fire check, 300 does
    # not (both were tried).
    assert all(p.answers["floor_area"] > 300 for p in fire)
    assert len(fire) == 12
    with_licence = [p for p in report.paths if "SAMR-QYSLDJ" in p.selected]
    assert {p.promised_days for p in with_licence} == {Decimal(8)}
    assert all(p.answers["registered"] is False for p in with_licence)


def test_answer_candidates_include_each_thresholds_boundaries_within_limits():
    seats = Question("seats", "就餐座位数", "integer", minimum=Decimal(0), maximum=Decimal(10000))
    assert answer_candidates(seats, ["> 75"]) == [0, 74, 75, 76, 10000]
    area = Question("floor_area", "面积", "decimal", minimum=Decimal(1), decimals=2)
    assert answer_candidates(area, ["> 300"]) == [
        Decimal(1),
        Decimal("299.99"),
        Decimal(300),
        Decimal("300.01"),
    ]
    kind = Question("kind", "类型", "enum", options=("a", "b"))
    assert answer_candidates(kind, ['"a"']) == ["a", "b"]
    assert answer_candidates(Question("x", "x", "boolean"), []) == [True, False]


def test_thresholds_kept_as_local_settings_get_their_boundary_values():
    from engine.simulation import answer_space

    typed, _bpmn, dmn = _shipped("restaurant-opening")
    guidance = theme_forms.compile_version_guidance(typed, dmn)
    questions = [
        Question("floor_area", "面积", "decimal", minimum=Decimal(1), decimals=2),
        Question("seats", "座位", "integer", minimum=Decimal(0)),
    ]
    combos, _total = answer_space(guidance, questions)
    # `> fire_check_min_area` (300) and `> sewage_min_seats` (75), read from the settings.
    assert {c["floor_area"] for c in combos} >= {Decimal("300"), Decimal("300.01")}
    assert {c["seats"] for c in combos} >= {75, 76}


def test_promised_dates_follow_the_calendar_passed_in():
    monday_report = _simulate("enterprise-opening")  # Chinese calendar by default
    assert {p.promised_date for p in monday_report.paths} == {dt.date(2026, 12, 4)}
    every_day = _simulate("enterprise-opening", is_working_day=_every_day)
    assert {p.promised_date for p in every_day.paths} == {dt.date(2026, 12, 4)}
    fridays_off = _simulate(
        "enterprise-opening", is_working_day=lambda d: d.weekday() not in (4, 5, 6)
    )
    assert {p.promised_date for p in fridays_off.paths} == {dt.date(2026, 12, 7)}
    assert working_days_after(MONDAY, Decimal("0.5"), _every_day) == dt.date(2026, 12, 1)


ENTERPRISE = _shipped("enterprise-opening")[1]


def test_a_condition_that_never_holds_leaves_a_selected_item_unreached():
    bpmn = ENTERPRISE.replace("housing_fund == True", 'housing_fund == "是"')
    report = _simulate("enterprise-opening", bpmn)
    messages = {(p.element_id, p.message) for p in report.problems}
    assert any(
        element == "Task_HousingFund" and "导办选中了事项" in message
        for element, message in messages
    )
    assert any(
        element == "Task_HousingFund" and "都不会被执行" in message for element, message in messages
    )


def test_a_gateway_with_no_way_out_stops_the_path_and_is_named():
    bpmn = ENTERPRISE.replace(' default="Flow_FundNo"', "").replace(
        'targetRef="Gateway_HousingFundMerge" />',
        'targetRef="Gateway_HousingFundMerge"><bpmn:conditionExpression '
        'xsi:type="bpmn:tFormalExpression">housing_fund == "否"</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>",
        1,
    )
    report = _simulate("enterprise-opening", bpmn)
    stuck = [p for p in report.paths if not p.ended]
    assert stuck and all("Gateway_HousingFund" in p.stuck_at for p in stuck)
    assert any(
        "走不到结束" in p.message and p.element_id == "Gateway_HousingFund" for p in report.problems
    )


def test_a_dangling_task_blocks_publishing_with_its_name():
    # DANGLING (below): 印章 has no outgoing flow, an implicit end the structure check allows.
    bpmn = DANGLING
    report = _simulate("enterprise-opening", bpmn)
    assert [p.element_id for p in report.problems] == ["Task_Seal"]
    assert "走不到统一出件" in report.problems[0].message


def test_with_continue_on_denial_each_item_is_also_run_denied():
    typed = replace(_shipped("enterprise-opening")[0], on_denial="continue")
    report = _simulate("enterprise-opening", typed=typed)
    denied = [p for p in report.paths if p.denied]
    # Path with 公积金: 5 items each denied once; without: 4.
    assert len(denied) == 9
    assert all(p.ended for p in denied)
    assert report.problems == []


def test_a_denial_route_that_stops_is_found_only_by_denying():
    typed = replace(_shipped("enterprise-opening")[0], on_denial="continue")
    # After 印章 a gateway lets only a granted seal on: 不予 leaves it with no way out.
    bpmn = ENTERPRISE.replace(
        'sourceRef="Task_Seal" targetRef="Gateway_Join" />',
        'sourceRef="Task_Seal" targetRef="Gateway_SealOk" />'
        '<bpmn:exclusiveGateway id="Gateway_SealOk" name="印章准予？" />'
        '<bpmn:sequenceFlow id="Flow_SealOk" sourceRef="Gateway_SealOk" '
        'targetRef="Gateway_Join">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        'Task_Seal_decision == "granted"</bpmn:conditionExpression></bpmn:sequenceFlow>',
    ).replace("<bpmn:incoming>Flow_Seal_To_Join</bpmn:incoming>",
              "<bpmn:incoming>Flow_SealOk</bpmn:incoming>")  # fmt: skip
    report = _simulate("enterprise-opening", bpmn, typed=typed)
    granted = [p for p in report.paths if not p.denied]
    assert all(p.ended for p in granted)
    seal_denied = [p for p in report.paths if p.denied == "PSB-GZKZBA"]
    assert seal_denied and not any(p.ended for p in seal_denied)
    assert any(
        "公章刻制备案不予" in p.message and p.element_id == "Gateway_SealOk"
        for p in report.problems
    )


def test_guidance_that_cannot_decide_an_answer_is_a_problem():
    typed, bpmn, _ = _shipped("enterprise-opening")
    dmn = _shipped("enterprise-opening")[2].replace(">True<", '>"yes"<')
    compiled = compile_theme(bpmn, CATALOG.lane_departments())
    guidance = compile_guidance(dmn, variables={"housing_fund"}, item_codes={"HF-DWJCDJ"})
    report = simulate_theme(typed, compiled, guidance, accepted_on=MONDAY)
    # "yes" is never a yes/no answer: 公积金 is selected on no path, its task is unreached.
    assert len(report.paths) == 1
    assert any(p.element_id == "Task_HousingFund" for p in report.problems)


# --- in the app: drafts, the command, the pages --------------------------------------------

DRAFTS = "/api/themes/enterprise-opening/drafts"
DANGLING = re.sub(
    r'<bpmndi:BPMNEdge id="Flow_Seal_To_Join_di".*?</bpmndi:BPMNEdge>',
    "",
    ENTERPRISE.replace(
        '<bpmn:sequenceFlow id="Flow_Seal_To_Join" sourceRef="Task_Seal" '
        'targetRef="Gateway_Join" />',
        "",
    )
    .replace("<bpmn:outgoing>Flow_Seal_To_Join</bpmn:outgoing>", "")
    .replace("<bpmn:incoming>Flow_Seal_To_Join</bpmn:incoming>", ""),
    flags=re.S,
)


def test_a_dangling_task_is_never_saved_as_valid_nor_published(login):
    analyst, admin = login("analyst"), login("admin")
    saved = analyst.post_xml(DRAFTS, DANGLING).get_json()
    assert saved["valid"] is False
    assert [e["element_id"] for e in saved["errors"]] == ["Task_Seal"]
    refused = admin.post_json(f"{DRAFTS}/{saved['draft_id']}/publish")
    assert refused.status_code == 422


def test_the_command_prints_every_path_and_fails_on_a_stuck_one(app, login):
    from webapp.cli import main

    runner = app.test_cli_runner()
    ok = runner.invoke(main, ["theme", "simulate", "enterprise-opening"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "2 条路径" in ok.output and "是否办理住房公积金缴存登记=否" in ok.output
    assert "承诺 4 个工作日" in ok.output and "可以发布" in ok.output
    login("analyst").post_xml(DRAFTS, DANGLING)
    bad = runner.invoke(main, ["theme", "simulate", "enterprise-opening"], catch_exceptions=False)
    assert bad.exit_code == 1
    assert "Task_Seal" in bad.output and "走不到统一出件" in bad.output


def test_the_analyst_and_the_admin_see_the_paths_before_publishing(login):
    analyst, admin = login("analyst"), login("admin")
    page = analyst.get("/modeler/themes/enterprise-opening").get_data(as_text=True)
    assert "路径模拟" in page and "每条路径都能走到结束" in page
    assert 'data-tasks="Task_Accept Task_Registration' in page
    analyst.post_xml(DRAFTS, DANGLING)
    fragment = analyst.get("/modeler/themes/enterprise-opening/simulation").get_data(as_text=True)
    assert "不能发布" in fragment and "走不到统一出件" in fragment
    publish_page = admin.get("/admin/").get_data(as_text=True)
    assert "路径模拟" in publish_page and "走不到统一出件" in publish_page
    assert "4 个工作日" in publish_page


YJS = 'xmlns:yjs="https://yjs.example.cn/schema/bpmn"'


def _with_item(task: str, item: str) -> str:
    xml = ENTERPRISE.replace("<bpmn:definitions ", f"<bpmn:definitions {YJS} ", 1)
    return xml.replace(
        f'<bpmn:userTask id="{task}"', f'<bpmn:userTask id="{task}" yjs:item="{item}"'
    )


def test_the_item_the_modeler_writes_on_a_task_is_checked_against_the_theme(login):
    analyst = login("analyst")
    right = analyst.post_xml(DRAFTS, _with_item("Task_Seal", "PSB-GZKZBA")).get_json()
    assert right["valid"] is True, right["errors"]
    wrong = analyst.post_xml(DRAFTS, _with_item("Task_Seal", "SAMR-QYSLDJ")).get_json()
    assert wrong["valid"] is False
    assert [(e["element_id"], "企业设立登记" in e["message"]) for e in wrong["errors"]] == [
        ("Task_Seal", True)
    ]


def test_the_modeler_page_offers_the_themes_items_and_departments(login):
    page = login("analyst").get("/modeler/themes/enterprise-opening").get_data(as_text=True)
    assert 'id="properties-panel"' in page
    assert "data-yjs-choices=" in page and "PSB-GZKZBA" in page and "住房公积金中心" in page


def test_a_timer_on_the_path_is_fired_and_the_path_ends():
    # 企业设立登记 → wait two hours (a standard unquoted literal) → the parallel split.
    timer = (
        '<bpmn:intermediateCatchEvent id="Timer_Wait" name="等待">'
        '<bpmn:timerEventDefinition id="TimerDef_Wait"><bpmn:timeDuration>PT2H'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_Wait_To_Split" sourceRef="Timer_Wait" '
        'targetRef="Gateway_Split" />'
    )
    bpmn = ENTERPRISE.replace(
        'sourceRef="Task_Registration" targetRef="Gateway_Split"',
        'sourceRef="Task_Registration" targetRef="Timer_Wait"',
    ).replace("</bpmn:process>", timer + "</bpmn:process>")
    report = _simulate("enterprise-opening", bpmn)
    assert report.problems == []
    assert all(p.ended and p.tasks[-1] == "Task_Deliver" for p in report.paths)


def test_an_answer_space_too_large_is_cut_and_said_so(monkeypatch):
    import engine.simulation as simulation

    monkeypatch.setattr(simulation, "MAX_ANSWER_COMBINATIONS", 3)
    report = _simulate("restaurant-opening")
    # registered 2 × operator form 2 × area 5 × sign 2 × seats 5
    assert report.truncated and report.answer_combinations == 200
    # Tasks the cut-off answers would reach are not called unreachable.
    assert report.problems == []
