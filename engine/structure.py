"""Structural checks: would a case of this diagram be able to finish?

Three graph checks on the diagram's sequence flows, each reported as a Problem naming the
element (README "Security choices"):

- a parallel join (converging parallel gateway) waiting for paths that an exclusive,
  inclusive or event-based split chooses between: a case that takes one branch leaves the
  join waiting forever, in progress with no open task;
- a flow node no start event leads to;
- a flow node from which no end can be reached (a loop with no way out).

They work on the XML, so they run on any diagram whatever else is wrong with it, and they
look only at the graph, not at conditions: a decision's branches are all assumed possible.
Each process, subprocess and event subprocess is checked as its own graph; a boundary
event continues from the activity it is attached to, and a link catch event from the link
throw events of the same name. The work is bounded (MAX_STRUCTURE_STEPS), so an upload of
any size is answered quickly.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from .problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Graph steps (nodes visited) the parallel-join check may spend on one diagram. A real
# 一件事 diagram needs a few thousand; past this the diagram is refused as too complex
# rather than checked for minutes.
MAX_STRUCTURE_STEPS = 200_000
# Unreachable or unfinishable nodes listed one by one; beyond this, one summary problem.
MAX_LISTED_NODES = 10

KIND_LABELS = {
    "task": "任务",
    "userTask": "任务",
    "manualTask": "任务",
    "serviceTask": "服务任务",
    "scriptTask": "脚本任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
    "businessRuleTask": "业务规则任务",
    "callActivity": "调用活动",
    "subProcess": "子流程",
    "transaction": "事务子流程",
    "adHocSubProcess": "自由子流程",
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "intermediateCatchEvent": "中间事件",
    "intermediateThrowEvent": "中间抛出事件",
    "implicitThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件",
    "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关",
}
# Gateways that pass a token down some of their outgoing flows only.
DECISIONS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
# Containers whose content is a graph of its own. An ad hoc subprocess has no required
# order, so its content is not checked.
_SCOPES = {"subProcess", "transaction"}
# End events that end more than their own path (the whole process, or the subprocess with
# an error the parent catches): a branch ending there does not leave a join waiting.
_ENDING_ALL = {
    "terminateEventDefinition",
    "errorEventDefinition",
    "cancelEventDefinition",
    "escalationEventDefinition",
}


class _OutOfSteps(Exception):
    pass


@dataclass
class _Graph:
    """One scope's flow nodes and the ways a token moves between them."""

    kinds: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    element_ids: dict[str, str | None] = field(default_factory=dict)
    ends_all: set[str] = field(default_factory=set)
    # node -> [(flow key, node)]; the flow key is the sequence flow's id, or a made-up key
    # for a boundary attachment or a link.
    succ: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    pred: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    flow_labels: dict[str, str] = field(default_factory=dict)
    starts: list[str] = field(default_factory=list)

    def add_edge(self, flow: str, source: str, target: str) -> None:
        self.succ[source].append((flow, target))
        self.pred[target].append((flow, source))

    def named(self, node: str) -> str:
        return f"{KIND_LABELS.get(self.kinds[node], '节点')}“{self.labels[node]}”"


def structure_problems(process: etree._Element) -> list[Problem]:
    """Problems with the shape of `process` (a bpmn:process element), in document order.

    Never raises for any well-formed XML: missing ids, dangling references and unknown
    elements are skipped (the schema check reports them).
    """
    problems: list[Problem] = []
    budget = [MAX_STRUCTURE_STEPS]
    for scope in _scopes(process):
        graph = _graph(scope)
        reached = _reach(graph, graph.starts, graph.succ)
        problems += _unreachable(graph, reached)
        problems += _unfinishable(graph, reached)
        try:
            problems += _joins_left_waiting(graph, reached, budget)
        except _OutOfSteps:
            problems.append(
                Problem(
                    "流程图过于复杂，无法在限定的计算量内检查能否正常结束，请简化或拆分流程",
                    process.get("id"),
                )
            )
            break
    return problems


def _local(element) -> str:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{BPMN_NS}}}"):
        return ""
    return etree.QName(tag).localname


def _scopes(process: etree._Element) -> Iterable[etree._Element]:
    yield process
    for element in process.iter(f"{{{BPMN_NS}}}*"):
        if _local(element) in _SCOPES and not _inside_ad_hoc(element, process):
            yield element


def _inside_ad_hoc(element: etree._Element, process: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not process:
        if _local(parent) == "adHocSubProcess":
            return True
        parent = parent.getparent()
    return False


def _definitions(element: etree._Element) -> set[str]:
    return {_local(child) for child in element if _local(child).endswith("EventDefinition")}


def _graph(scope: etree._Element) -> _Graph:
    graph = _Graph()
    link_throws: dict[str, list[str]] = {}
    link_catches: dict[str, list[str]] = {}
    boundaries: list[tuple[str, str]] = []
    for index, element in enumerate(scope):
        kind = _local(element)
        if kind not in KIND_LABELS:
            continue
        if element.get("triggeredByEvent") == "true" or element.get("isForCompensation") == "true":
            # An event subprocess starts on its event, a compensation handler is reached by
            # association: neither is on the sequence flows of this scope.
            continue
        element_id = element.get("id")
        node = element_id or f"#{index}"
        graph.kinds[node] = kind
        graph.labels[node] = (element.get("name") or "").strip() or element_id or kind
        graph.element_ids[node] = element_id
        graph.succ.setdefault(node, [])
        graph.pred.setdefault(node, [])
        definitions = _definitions(element)
        if kind == "endEvent" and definitions & _ENDING_ALL:
            graph.ends_all.add(node)
        if kind == "boundaryEvent" and element.get("attachedToRef"):
            boundaries.append((element.get("attachedToRef"), node))
        if "linkEventDefinition" in definitions:
            links = link_throws if kind.endswith("ThrowEvent") else link_catches
            for definition in element:
                if _local(definition) == "linkEventDefinition":
                    links.setdefault((definition.get("name") or "").strip(), []).append(node)
    for index, element in enumerate(scope):
        if _local(element) != "sequenceFlow":
            continue
        source, target = element.get("sourceRef"), element.get("targetRef")
        if source in graph.kinds and target in graph.kinds:
            flow = element.get("id") or f"#flow{index}"
            graph.add_edge(flow, source, target)
            graph.flow_labels[flow] = (element.get("name") or "").strip() or graph.labels[target]
    for attached, boundary in boundaries:
        if attached in graph.kinds:
            graph.add_edge(f"#attached:{boundary}", attached, boundary)
    for name, catches in link_catches.items():
        for catch in catches:
            for throw in link_throws.get(name, []):
                graph.add_edge(f"#link:{throw}:{catch}", throw, catch)
    graph.starts = [n for n, kind in graph.kinds.items() if kind == "startEvent"]
    if not graph.starts:
        # Without a start event, BPMN starts every node that nothing leads to.
        graph.starts = [n for n in graph.kinds if not graph.pred[n]]
    # A link catch event no throw event names cannot be judged here; treat it as a start.
    graph.starts += [c for name, cs in link_catches.items() if name not in link_throws for c in cs]
    return graph


def _reach(graph: _Graph, starts: Iterable[str], edges, avoid=frozenset()) -> set[str]:
    seen = {n for n in starts if n not in avoid}
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for _, other in edges[node]:
            if other not in seen and other not in avoid:
                seen.add(other)
                queue.append(other)
    return seen


def _listed(graph: _Graph, nodes: list[str], message: str, summary: str) -> list[Problem]:
    problems = [
        Problem(message.format(node=graph.named(n)), graph.element_ids[n])
        for n in nodes[:MAX_LISTED_NODES]
    ]
    if len(nodes) > MAX_LISTED_NODES:
        problems.append(Problem(summary.format(count=len(nodes))))
    return problems


def _unreachable(graph: _Graph, reached: set[str]) -> list[Problem]:
    missed = [n for n in graph.kinds if n not in reached]
    return _listed(
        graph,
        missed,
        "{node}无法从开始事件到达，永远不会执行",
        "另外还有节点无法从开始事件到达（共 {count} 个）",
    )


def _unfinishable(graph: _Graph, reached: set[str]) -> list[Problem]:
    # A node with nowhere to go ends its path (BPMN's implicit end), as an end event does.
    ends = [n for n, kind in graph.kinds.items() if kind == "endEvent" or not graph.succ[n]]
    finishing = _reach(graph, ends, graph.pred)
    stuck = [n for n in graph.kinds if n in reached and n not in finishing]
    return _listed(
        graph,
        stuck,
        "从{node}出发的路径都到不了结束事件，流程无法结束",
        "另外还有节点出发的路径到不了结束事件（共 {count} 个）",
    )


def _joins_left_waiting(graph: _Graph, reached: set[str], budget: list[int]) -> list[Problem]:
    """Parallel joins a decision's branches feed unequally (see the module docstring).

    For every decision split X upstream of a parallel join J, each outgoing branch of X is
    followed (not through X or J again) to the set of J's incoming flows it can put a
    token on. J is left waiting when
    - two branches reach different, non-empty sets: taking one, the other's flows stay
      empty (an exclusive split straight into a parallel join is the simplest case); or
    - one branch reaches only some of J's incoming flows (the others are fed from
      elsewhere, e.g. a parallel sibling), while another reaches none of them and ends.
    A branch that reaches none and only loops back (补正) leaves nothing waiting.
    """
    problems: list[Problem] = []
    decisions = [
        n for n, kind in graph.kinds.items() if kind in DECISIONS and len(graph.succ[n]) >= 2
    ]
    for join, kind in graph.kinds.items():
        incoming = {flow for flow, _ in graph.pred[join]}
        if kind != "parallelGateway" or len(incoming) < 2 or join not in reached:
            continue
        upstream = _counted_reach(graph, [join], graph.pred, frozenset(), budget)
        _spend(budget, len(decisions))
        for decision in decisions:
            if decision == join or decision not in upstream:
                continue
            problem = _decision_problem(graph, decision, join, incoming, budget)
            if problem is not None:
                problems.append(problem)
    return problems


def _decision_problem(graph, decision, join, incoming, budget) -> Problem | None:
    branches = []
    for flow, target in graph.succ[decision]:
        fed: set[str] = set()
        ends = False
        if target == join:
            fed.add(flow)
        else:
            for node in _counted_reach(graph, [target], graph.succ, {decision, join}, budget):
                fed.update(f for f, other in graph.succ[node] if other == join)
                if node not in graph.ends_all and (
                    graph.kinds[node] == "endEvent" or not graph.succ[node]
                ):
                    ends = True
        branches.append((flow, frozenset(fed), ends))
    feeding = {fed for _, fed, _ in branches if fed}
    where = f"并行汇聚网关“{graph.labels[join]}”"
    if len(feeding) >= 2:
        return Problem(
            f"{where}的入口来自{graph.named(decision)}的不同分支，永远等不齐，流程无法结束",
            graph.element_ids[join],
        )
    if feeding and next(iter(feeding)) < incoming:
        for flow, fed, ends in branches:
            if not fed and ends:
                branch = graph.flow_labels.get(flow, flow)
                return Problem(
                    f"{where}要等{graph.named(decision)}的分支，但走分支“{branch}”时"
                    "不经过该汇聚网关就结束，它永远等不齐，流程无法结束",
                    graph.element_ids[join],
                )
    return None


def _counted_reach(graph, starts, edges, avoid, budget: list[int]) -> set[str]:
    seen = _reach(graph, starts, edges, avoid)
    _spend(budget, len(seen))
    return seen


def _spend(budget: list[int], steps: int) -> None:
    budget[0] -= steps
    if budget[0] < 0:
        raise _OutOfSteps
