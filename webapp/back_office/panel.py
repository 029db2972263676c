"""What the workbench shows of the back office for one task: its levels and opinions, the
特别程序 running, 延期 requests, an open 补正 and the signed promise. Read once here so the
template only displays (no rule is decided in a template)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from forms.items import ApprovalLevel
from webapp.back_office import extensions, levels, promises, special_procedures, supplements
from webapp.back_office.models import ItemPromise
from webapp.cases.models import Case, CaseTask, TaskKind
from webapp.deadlines import limits

DECISION_LABELS = {
    "propose_grant": "拟准予，上报",
    "propose_deny": "拟不予，上报",
    "returned": "退回",
    "granted": "准予",
    "denied": "不予",
}


@dataclass(frozen=True)
class BackOfficePanel:
    levels: tuple[ApprovalLevel, ...]
    level: int
    last_level: bool
    reviews: tuple[dict, ...]
    special: CaseTask | None  # the 特别程序 running on the item
    paused: bool
    supplement: dict | None  # the open 退回补正 request
    supplement_online: frozenset[str]
    extensions: tuple[CaseTask, ...]
    extension_blocked: str | None  # why no 延期 can be asked now
    extension_max_days: int
    promise: ItemPromise | None
    may_decide: bool
    special_kinds: tuple[str, ...] = special_procedures.KINDS
    decision_labels: dict = field(default_factory=lambda: DECISION_LABELS)

    @property
    def multi_level(self) -> bool:
        return len(self.levels) > 1


def item_panel(session: Session, case: Case, task: CaseTask | None) -> BackOfficePanel | None:
    """The panel of an item's task (also for a task about one: 特别程序, 延期, 事后核查)."""
    if task is None:
        return None
    if task.kind != TaskKind.ITEM:
        about = (task.subject or {}).get("task_id")
        task = session.get(CaseTask, about) if about else None
        if task is None or task.kind != TaskKind.ITEM:
            return None
    all_levels = levels.levels_of(case, task)
    promise = promises.signed_promise(session, case, task.item_code)
    paused = limits.task_is_paused(task)
    asked = supplements.open_request(task)
    last = levels.at_last_level(case, task)
    return BackOfficePanel(
        levels=all_levels,
        level=task.level or 0,
        last_level=last,
        reviews=tuple(task.reviews or ()),
        special=special_procedures.running(case, task),
        paused=paused,
        supplement=asked,
        supplement_online=frozenset(supplements.fresh_uploads(session, case, asked))
        if asked
        else frozenset(),
        extensions=tuple(extensions.extensions_of(case, task)),
        extension_blocked=extensions.may_request(case, task),
        extension_max_days=extensions.max_days(),
        promise=promise,
        may_decide=not paused and (last or promise is not None),
    )
