"""Turn an analyst's BPMN into a runnable theme spec, or a list of problems naming elements.

What YJS runs is deliberately narrower than BPMN: people do the work (user, manual and
plain tasks), gateways route it, timers wait. Anything that would run code on the server
(script tasks, listener scripts, service calls) is refused here until a safe form exists;
a diagram from any modeling tool gets problems listed, never a crash.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from .expressions import UnsafeExpression, check_expression, check_task_instances
from .interchange import condition_language, feel_to_python, language_name, normalised_timer
from .problems import Problem, ThemeInvalid, excerpt
from .safe_xml import parse_untrusted
from .structure import structure_problems
from .timers import timer_value_problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# The `yjs:` extension namespace the modeler's properties panel writes (yjs:item on a task).
YJS_NS = "https://yjs.example.cn/schema/bpmn"
HUMAN_TASKS = {"userTask", "manualTask", "task"}
SUPPORTED_NODES = HUMAN_TASKS | {
    "startEvent",
    "endEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "intermediateCatchEvent",
    "boundaryEvent",
    "subProcess",
}
# Flow nodes YJS knows by name, so the message can say what they are in Chinese.
UNSUPPORTED_LABELS = {
    "scriptTask": "脚本任务",
    "serviceTask": "服务任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务",
    "callActivity": "调用活动",
    "complexGateway": "复杂网关",
    "eventBasedGateway": "事件网关",
    "intermediateThrowEvent": "中间抛出事件",
    "transaction": "事务子流程",
    "adHocSubProcess": "自由子流程",
}
FLOW_NODES = SUPPORTED_NODES | set(UNSUPPORTED_LABELS)
TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")
# Expressions of loop and multi-instance activities, which SpiffWorkflow evaluates too.
LOOP_EXPRESSIONS = {
    "loopCardinality": "多实例数量",
    "completionCondition": "多实例完成条件",
    "loopCondition": "循环条件",
}

_validator: BpmnValidator | None = None
_VALIDATOR_LOCK = threading.Lock()


def _xsd_validator() -> BpmnValidator:
    # Loading the BPMN XSD takes ~100 ms; do it once per process. Under a lock: server
    # threads publishing at once would otherwise build lxml schemas side by side, which
    # crashed a server once (engine/guidance.py's DMN schema).
    global _validator
    with _VALIDATOR_LOCK:
        if _validator is None:
            _validator = BpmnValidator()
        return _validator


@dataclass(frozen=True)
class HumanTask:
    """A task people do: its BPMN id, label, the department its lane maps to and the item
    the diagram says it does (`yjs:item`, None when the diagram leaves it to the theme)."""

    bpmn_id: str
    name: str
    lane: str
    department: str
    item: str | None = None


@dataclass
class CompiledTheme:
    """A validated diagram: the engine spec plus what the app needs to route its tasks."""

    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict
    human_tasks: dict[str, HumanTask] = field(default_factory=dict)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _bpmn(root, path: str) -> list:
    return root.xpath(path, namespaces={"bpmn": BPMN_NS})


def _choose_process(root) -> tuple[etree._Element | None, list[Problem]]:
    processes = _bpmn(root, "/bpmn:definitions/bpmn:process")
    if not processes:
        return None, [Problem("文档中没有流程（bpmn:process）")]
    if len(processes) == 1:
        return processes[0], []
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) == 1:
        return executable[0], []
    ids = "、".join(p.get("id", "?") for p in processes)
    pools = _bpmn(root, "/bpmn:definitions/bpmn:collaboration/bpmn:participant[@processRef]")
    if len(pools) > 1:
        names = "、".join((p.get("name") or p.get("processRef") or "?").strip() for p in pools)
        return None, [
            Problem(
                f"协作图中有 {len(pools)} 个池（{names}），一个主题只运行一个流程："
                "请只把要运行的池的流程设为可执行（isExecutable），其余设为不可执行"
            )
        ]
    return None, [Problem(f"文档中有多个流程（{ids}），请只将要运行的一个设为可执行")]


def _check_elements(process, lane_departments: Mapping[str, str]) -> tuple[list, dict]:
    problems: list[Problem] = []
    lane_of: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lane_of[ref.text.strip()] = (lane.get("name") or "").strip()

    declared_language = process.getroottree().getroot().get("expressionLanguage")
    human: dict[str, HumanTask] = {}
    for el in process.iter():
        kind = _local(el.tag)
        el_id = el.get("id")
        if kind in UNSUPPORTED_LABELS and el.tag.startswith(f"{{{BPMN_NS}}}"):
            problems.append(Problem(f"暂不支持{UNSUPPORTED_LABELS[kind]}（{kind}）", el_id))
        elif kind == "extensionElements":
            for ext in el.iter():
                ext_kind = _local(ext.tag).lower()
                if ext_kind.endswith("script") or ext_kind.endswith("listener"):
                    problems.append(
                        Problem(
                            f"不允许在扩展属性中写脚本（{_local(ext.tag)}）",
                            el_id or el.getparent().get("id"),
                        )
                    )
        elif kind == "conditionExpression":
            owner = el.getparent().get("id")
            problems.extend(_condition_problems(el, owner, declared_language))
        elif kind in TIMER_PARTS:
            owner = el.getparent().getparent().get("id")
            # A standard unquoted literal (PT2H, R1/P5D) is quoted for the engine here, in
            # the tree the spec is built from; the analyst's document is kept as written.
            quoted = normalised_timer(kind, el.text)
            if quoted is not None:
                el.text = quoted
            unsafe = _expression_problem(el.text, owner, "定时器")
            problems.extend(unsafe)
            # A safe value can still be one SpiffWorkflow cannot read (a quoted date without
            # a zone): refuse it now rather than in a running case.
            wrong = None if unsafe else timer_value_problem(kind, el.text)
            if wrong:
                problems.append(Problem(wrong, owner))
        elif kind in LOOP_EXPRESSIONS and el.tag.startswith(f"{{{BPMN_NS}}}"):
            owner = el.getparent().getparent().get("id")
            unsafe = _expression_problem(el.text, owner, LOOP_EXPRESSIONS[kind])
            problems.extend(unsafe)
            if kind == "loopCardinality" and not unsafe:
                problems.extend(_instances_problem(el.text, owner))
        elif kind in HUMAN_TASKS and el.tag.startswith(f"{{{BPMN_NS}}}"):
            lane = lane_of.get(el_id)
            name = (el.get("name") or el_id or "").strip()
            if not lane:
                problems.append(Problem(f"任务“{name}”不在任何泳道中，无法分派到部门", el_id))
            elif lane not in lane_departments:
                problems.append(Problem(f"泳道“{lane}”不是已知部门，任务“{name}”无法分派", el_id))
            else:
                item = (el.get(f"{{{YJS_NS}}}item") or "").strip() or None
                human[el_id] = HumanTask(el_id, name, lane, lane_departments[lane], item)
    return problems, human


def _condition_problems(el, owner, declared_language) -> list[Problem]:
    """A condition in our expression language is checked; one in another language is named
    as such (a simple FEEL comparison is translated first, then checked like any other)."""
    language = condition_language(el.text, el.get("language"), declared_language)
    if language is not None and language_name(language) == "FEEL":
        translated = feel_to_python(el.text)
        if translated is not None:
            el.text = translated
            el.attrib.pop("language", None)
            language = None
    if language is not None:
        name = language_name(language)
        shown = name if name == language else f"{name}（{language}）"
        return [
            Problem(
                f"条件表达式“{excerpt(el.text)}”使用了不支持的表达式语言 {shown}："
                "YJS 只执行自己的安全表达式，请改写，如 housing_fund == True",
                owner,
            )
        ]
    return _expression_problem(el.text, owner, "条件")


def _expression_problem(text, owner, what) -> list[Problem]:
    if text is None or not text.strip():
        return [Problem(f"{what}表达式为空", owner)] if what == "定时器" else []
    try:
        check_expression(text)
    except UnsafeExpression as exc:
        return [Problem(f"{what}表达式“{excerpt(text)}”不安全或无效：{exc}", owner)]
    return []


def _instances_problem(text, owner) -> list[Problem]:
    """A literal loopCardinality above the bound; one from case data is checked at run time."""
    try:
        # Already a checked expression, so short enough to parse.
        count = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return []
    try:
        check_task_instances(count)
    except UnsafeExpression as exc:
        return [Problem(str(exc), owner)]
    return []


def compile_theme(bpmn: bytes | str, lane_departments: Mapping[str, str]) -> CompiledTheme:
    """Validate a theme diagram and build its spec; raise ThemeInvalid with every problem.

    `lane_departments` maps lane names as analysts write them to department codes.
    """
    root = parse_untrusted(bpmn)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise ThemeInvalid([Problem("不是 BPMN 2.0 文档（根元素应为 bpmn:definitions）")])
    process, problems = _choose_process(root)
    if process is None:
        raise ThemeInvalid(problems)
    element_problems, human = _check_elements(process, lane_departments)
    problems += element_problems
    problems += _structure_problems(process)
    if not human and not element_problems:
        problems.append(Problem("流程中没有人工任务，无法分派给窗口或部门", process.get("id")))
    try:
        _xsd_validator().validate(root.getroottree().getroot(), "diagram.bpmn")
    except ValidationException as exc:
        problems.append(Problem(f"不符合 BPMN 2.0 规范：{_first_line(exc)}", exc.id or None))
    if problems:
        raise ThemeInvalid(problems)

    process_id = process.get("id")
    parser = CamundaParser()
    try:
        parser.add_bpmn_xml(root.getroottree(), filename="diagram.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise ThemeInvalid([Problem(f"流程无法解析：{_first_line(exc)}", exc.id or None)]) from None
    except Exception as exc:  # noqa: BLE001 - any modeling tool's output must yield a message
        raise ThemeInvalid([Problem(f"流程无法解析：{type(exc).__name__}: {exc}")]) from None
    return CompiledTheme(process_id, spec, subprocess_specs, human)


def _structure_problems(process) -> list[Problem]:
    # Whether a case can finish at all: checked on every diagram, with its other problems.
    try:
        return structure_problems(process)
    except Exception as exc:  # noqa: BLE001 - any modeling tool's output must yield a message
        return [Problem(f"无法检查流程结构：{type(exc).__name__}: {exc}", process.get("id"))]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
