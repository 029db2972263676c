"""Structural checks: diagrams a case could never finish are refused, legitimate shapes pass.

Every diagram here is built in the test from a few nodes and flows; the real-tool exports in
shared/external/bpmn-miwg are only read.
"""

from __future__ import annotations

import re
from itertools import count
from pathlib import Path

import pytest

from engine import structure
from engine.problems import ThemeInvalid
from engine.safe_xml import parse_untrusted
from engine.structure import BPMN_NS, structure_problems
from engine.theme_spec import CompiledTheme, compile_theme

REPO = Path(__file__).resolve().parents[2]
THEMES = sorted((REPO / "processes" / "themes").glob("*/process.bpmn"))
MIWG = sorted(
    (Path(__file__).resolve().parents[3] / "shared" / "external" / "bpmn-miwg").glob("*/*.bpmn")
) or sorted(Path("/work/shared/external/bpmn-miwg").glob("*/*.bpmn"))
LANES = {"综合窗口": "FRONT_DESK"}
_flow_ids = count(1)


def node(kind: str, node_id: str, name: str | None = None, inner: str = "", **attrs) -> str:
    attributes = "".join(f' {key}="{value}"' for key, value in attrs.items())
    label = f' name="{name}"' if name else ""
    return f'<bpmn:{kind} id="{node_id}"{label}{attributes}>{inner}</bpmn:{kind}>'


def task(node_id: str, name: str | None = None, inner: str = "") -> str:
    return node("userTask", node_id, name or node_id, inner)


def flow(source: str, target: str, name: str | None = None, condition: str = "") -> str:
    label = f' name="{name}"' if name else ""
    if condition:
        condition = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>"
    return (
        f'<bpmn:sequenceFlow id="Flow_{next(_flow_ids)}"{label} '
        f'sourceRef="{source}" targetRef="{target}">{condition}</bpmn:sequenceFlow>'
    )


def flows(*pairs: str) -> str:
    """Flows written as "A>B" (or "A>B:branch name")."""
    out = []
    for pair in pairs:
        edge, _, name = pair.partition(":")
        source, target = edge.split(">")
        out.append(flow(source, target, name or None))
    return "".join(out)


TIMER = (
    '<bpmn:timerEventDefinition><bpmn:timeDuration>"P2D"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition>"
)
TERMINATE = "<bpmn:terminateEventDefinition />"
START, END = node("startEvent", "S", "开始"), node("endEvent", "E", "结束")


def diagram(*parts: str) -> str:
    body = "".join(parts)
    tasks = re.findall(r'<bpmn:userTask id="([^"]+)"', body)
    refs = "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t in tasks)
    return (
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="Defs" targetNamespace="http://yjs.test">'
        '<bpmn:process id="P" isExecutable="true">'
        f'<bpmn:laneSet id="Lanes"><bpmn:lane id="Lane" name="综合窗口">{refs}</bpmn:lane>'
        f"</bpmn:laneSet>{body}</bpmn:process></bpmn:definitions>"
    )


def found(*parts: str) -> list[tuple[str | None, str]]:
    root = parse_untrusted(diagram(*parts))
    process = root.find(f"{{{BPMN_NS}}}process")
    return [(p.element_id, p.message) for p in structure_problems(process)]


# --- what cannot finish -------------------------------------------------------------------


def test_an_exclusive_split_into_a_parallel_join_is_refused():
    assert found(
        START,
        node("exclusiveGateway", "X", "是否加急"),
        task("A"),
        task("B"),
        node("parallelGateway", "J", "汇总"),
        END,
        flows("S>X", "X>A", "X>B", "A>J", "B>J", "J>E"),
    ) == [
        (
            "J",
            "并行汇聚网关“汇总”的入口来自排他网关“是否加急”的不同分支，永远等不齐，流程无法结束",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "label"),
    [("inclusiveGateway", "包容网关"), ("complexGateway", "复杂网关")],
)
def test_other_decisions_into_a_parallel_join_are_refused(kind, label):
    ((element, message),) = found(
        START,
        node(kind, "X", "选办事项"),
        task("A"),
        task("B"),
        node("parallelGateway", "J"),
        END,
        flows("S>X", "X>A", "X>B", "A>J", "B>J", "J>E"),
    )
    assert element == "J"
    assert f"入口来自{label}“选办事项”的不同分支" in message


def test_an_event_based_choice_into_a_parallel_join_is_refused():
    ((element, message),) = found(
        START,
        node("eventBasedGateway", "X", "等待回复"),
        node("intermediateCatchEvent", "Timeout", "超时", TIMER),
        node("intermediateCatchEvent", "Reply", "收到回复", "<bpmn:messageEventDefinition />"),
        node("parallelGateway", "J", "汇总"),
        END,
        flows("S>X", "X>Timeout", "X>Reply", "Timeout>J", "Reply>J", "J>E"),
    )
    assert (element, "事件网关“等待回复”的不同分支" in message) == ("J", True)


def test_a_decision_inside_a_parallel_branch_feeding_the_join_twice_is_refused():
    ((element, message),) = found(
        START,
        node("parallelGateway", "P", "分发"),
        task("A"),
        node("exclusiveGateway", "X", "审核结果"),
        task("B"),
        task("C"),
        node("parallelGateway", "J", "汇总"),
        END,
        flows("S>P", "P>A", "P>X", "X>B", "X>C", "A>J", "B>J", "C>J", "J>E"),
    )
    assert element == "J" and "排他网关“审核结果”的不同分支" in message


def test_a_branch_ending_before_the_join_its_sibling_waits_at_is_refused():
    assert found(
        START,
        node("parallelGateway", "P", "分发"),
        task("A", "刻章备案"),
        node("exclusiveGateway", "X", "是否受理"),
        task("B", "税务登记"),
        node("endEvent", "E2", "不予受理"),
        node("parallelGateway", "J", "汇总"),
        END,
        flows("S>P", "P>A", "P>X", "X>B:受理", "X>E2:不予受理", "A>J", "B>J", "J>E"),
    ) == [
        (
            "J",
            "并行汇聚网关“汇总”要等排他网关“是否受理”的分支，但走分支“不予受理”时"
            "不经过该汇聚网关就结束，它永远等不齐，流程无法结束",
        )
    ]


def test_a_node_no_start_leads_to_is_named():
    assert found(START, task("A", "受理"), task("B", "审批"), END, flows("S>A", "A>E", "B>E")) == [
        ("B", "任务“审批”无法从开始事件到达，永远不会执行")
    ]


def test_a_loop_with_no_way_out_names_its_nodes():
    assert found(
        START,
        task("A", "审核"),
        node("exclusiveGateway", "X", "是否通过"),
        task("B", "补正"),
        task("C", "复核"),
        END,
        flows("S>A", "A>X", "X>E", "X>B", "B>C", "C>B"),
    ) == [
        ("B", "从任务“补正”出发的路径都到不了结束事件，流程无法结束"),
        ("C", "从任务“复核”出发的路径都到不了结束事件，流程无法结束"),
    ]


def test_many_unreachable_nodes_are_summed_up_after_the_first_ten():
    orphans = [task(f"T{i}") for i in range(15)]
    problems = found(START, END, *orphans, flows("S>E"))
    assert [element for element, _ in problems] == [f"T{i}" for i in range(10)] + [None]
    assert "共 15 个" in problems[-1][1]


def test_a_diagram_too_large_to_check_is_refused_not_checked_for_minutes(monkeypatch):
    monkeypatch.setattr(structure, "MAX_STRUCTURE_STEPS", 3)
    problems = found(
        START,
        node("parallelGateway", "P"),
        task("A"),
        task("B"),
        node("parallelGateway", "J"),
        node("exclusiveGateway", "X"),
        END,
        flows("S>P", "P>A", "P>B", "A>J", "B>J", "J>X", "X>E", "X>P"),
    )
    assert problems == [
        ("P", "流程图过于复杂，无法在限定的计算量内检查能否正常结束，请简化或拆分流程")
    ]


# --- legitimate shapes --------------------------------------------------------------------

LEGITIMATE = {
    "exclusive diamond": (
        START,
        node("exclusiveGateway", "X", "是否加急"),
        task("A"),
        task("B"),
        node("exclusiveGateway", "M"),
        END,
        flows("S>X", "X>A", "X>B", "A>M", "B>M", "M>E"),
    ),
    "parallel block": (
        START,
        node("parallelGateway", "P"),
        task("A"),
        task("B"),
        node("parallelGateway", "J"),
        END,
        flows("S>P", "P>A", "P>B", "A>J", "B>J", "J>E"),
    ),
    "补正 loop": (
        START,
        task("Accept"),
        task("Review"),
        node("exclusiveGateway", "X", "材料是否齐全"),
        task("Fix", "补正材料"),
        END,
        flows("S>Accept", "Accept>Review", "Review>X", "X>E:齐全", "X>Fix:补正", "Fix>Review"),
    ),
    "boundary timers": (
        START,
        task("A", "审批"),
        node("boundaryEvent", "Late", "超时", TIMER, attachedToRef="A"),
        node("boundaryEvent", "Remind", "催办", TIMER, attachedToRef="A", cancelActivity="false"),
        task("Escalate", "上报"),
        task("Urge", "催办"),
        node("endEvent", "E2"),
        node("endEvent", "E3"),
        END,
        flows("S>A", "A>E", "Late>Escalate", "Escalate>E2", "Remind>Urge", "Urge>E3"),
    ),
    "boundary timer leaving a parallel branch": (
        START,
        node("parallelGateway", "P"),
        task("A"),
        node("boundaryEvent", "Late", "超时", TIMER, attachedToRef="A"),
        task("B"),
        node("parallelGateway", "J"),
        node("endEvent", "E2"),
        END,
        flows("S>P", "P>A", "P>B", "A>J", "B>J", "J>E", "Late>E2"),
    ),
    "decision around a parallel block": (
        START,
        node("exclusiveGateway", "X", "是否需要部门审批"),
        node("parallelGateway", "P"),
        task("A"),
        task("B"),
        node("parallelGateway", "J"),
        node("exclusiveGateway", "M"),
        END,
        flows("S>X", "X>P", "X>M", "P>A", "P>B", "A>J", "B>J", "J>M", "M>E"),
    ),
    "decision nested in a parallel branch": (
        START,
        node("parallelGateway", "P"),
        task("A"),
        node("exclusiveGateway", "X", "是否办理公积金"),
        task("B"),
        node("exclusiveGateway", "M"),
        node("parallelGateway", "J"),
        END,
        flows("S>P", "P>A", "P>X", "X>B", "X>M", "B>M", "A>J", "M>J", "J>E"),
    ),
    "补正 of the whole parallel block": (
        START,
        node("exclusiveGateway", "M"),
        node("parallelGateway", "P"),
        task("A"),
        task("B"),
        node("parallelGateway", "J"),
        node("exclusiveGateway", "X", "是否通过"),
        END,
        flows("S>M", "M>P", "P>A", "P>B", "A>J", "B>J", "J>X", "X>E", "X>M"),
    ),
    "补正 inside a parallel branch": (
        START,
        node("parallelGateway", "P"),
        task("A"),
        task("B"),
        node("exclusiveGateway", "X", "是否通过"),
        node("parallelGateway", "J"),
        END,
        flows("S>P", "P>A", "P>B", "B>X", "X>J", "X>B", "A>J", "J>E"),
    ),
    "terminate end leaving a parallel branch": (
        START,
        node("parallelGateway", "P"),
        task("A"),
        node("exclusiveGateway", "X", "是否受理"),
        task("B"),
        node("endEvent", "Stop", "终止", TERMINATE),
        node("parallelGateway", "J"),
        END,
        flows("S>P", "P>A", "P>X", "X>B", "X>Stop", "A>J", "B>J", "J>E"),
    ),
    "event subprocess and subprocess": (
        START,
        node(
            "subProcess",
            "Sub",
            "部门联审",
            node("startEvent", "S2") + task("T") + node("endEvent", "E2") + flows("S2>T", "T>E2"),
        ),
        node(
            "subProcess",
            "OnTimeout",
            "超时处理",
            node("startEvent", "S3", None, TIMER)
            + task("U")
            + node("endEvent", "E3")
            + flows("S3>U", "U>E3"),
            triggeredByEvent="true",
        ),
        END,
        flows("S>Sub", "Sub>E"),
    ),
    "no start event": (task("A"), task("B"), flows("A>B")),
    "link events": (
        START,
        task("A"),
        node("intermediateThrowEvent", "Go", None, '<bpmn:linkEventDefinition name="L" />'),
        node("intermediateCatchEvent", "Here", None, '<bpmn:linkEventDefinition name="L" />'),
        task("B"),
        END,
        flows("S>A", "A>Go", "Here>B", "B>E"),
    ),
}


@pytest.mark.parametrize("parts", LEGITIMATE.values(), ids=LEGITIMATE.keys())
def test_legitimate_shapes_pass(parts):
    assert found(*parts) == []


@pytest.mark.parametrize("path", THEMES, ids=lambda p: p.parent.name)
def test_shipped_themes_pass(path):
    root = parse_untrusted(path.read_bytes())
    assert structure_problems(root.find(f"{{{BPMN_NS}}}process")) == []


# --- wired into publishing ----------------------------------------------------------------


def test_publishing_refuses_a_diagram_that_cannot_finish():
    xml = diagram(
        START,
        node("exclusiveGateway", "X", "是否加急"),
        task("A"),
        task("B"),
        node("parallelGateway", "J", "汇总"),
        END,
        flows("S>X", "X>A", "X>B", "A>J", "B>J", "J>E"),
    )
    with pytest.raises(ThemeInvalid) as caught:
        compile_theme(xml, LANES)
    assert [p.element_id for p in caught.value.problems] == ["J"]


def test_publishing_accepts_a_diamond():
    xml = diagram(
        START,
        node("exclusiveGateway", "X", "是否加急"),
        task("A"),
        task("B"),
        node("exclusiveGateway", "M"),
        END,
        flows("S>X", "A>M", "B>M", "M>E"),
        flow("X", "A", condition="urgent == True"),
        flow("X", "B", condition="urgent == False"),
    )
    assert isinstance(compile_theme(xml, LANES), CompiledTheme)


# --- never a crash ------------------------------------------------------------------------


def test_odd_xml_yields_problems_or_nothing_never_an_exception():
    odd = (
        START,
        '<bpmn:userTask name="无编号任务" />',
        task("A"),
        task("A", "重复编号"),
        node("boundaryEvent", "B", None, TIMER, attachedToRef="Nowhere"),
        '<bpmn:sequenceFlow id="Dangling" sourceRef="A" targetRef="Missing" />',
        '<bpmn:sequenceFlow id="NoRefs" />',
        "<bpmn:textAnnotation><bpmn:text>说明</bpmn:text></bpmn:textAnnotation>",
        END,
        flows("S>A", "A>E"),
    )
    problems = found(*odd)
    assert all(isinstance(message, str) and message for _, message in problems)


def test_miwg_files_are_here():
    assert len(MIWG) > 100, "shared/external/bpmn-miwg not found beside the repository"


@pytest.mark.parametrize("path", MIWG, ids=lambda p: f"{p.parent.name[:12]}/{p.name}")
def test_real_modeling_tool_exports_are_checked_without_an_exception(path):
    """Every process of every export, whether compile_theme accepts the file or not."""
    root = parse_untrusted(path.read_bytes())
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for problem in structure_problems(process):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in problem.message)
