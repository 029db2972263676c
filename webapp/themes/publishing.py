"""Theme drafts and versions: analysts save, the server validates, admins publish.

A published version is immutable and self-contained: diagram, engine spec, routing of
its tasks and a snapshot of its items and form, so later catalog edits never change a
running case.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.guidance import DMN_NS
from engine.problems import Problem, ThemeInvalid
from engine.safe_xml import document_problems, parse_untrusted
from engine.theme_spec import BPMN_NS, compile_theme
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import Department, User
from webapp.audit import trail
from webapp.cases.engine_state import serializer
from webapp.clock import now
from webapp.domain_errors import Conflict, Forbidden, Invalid, NotFound
from webapp.themes import simulation, theme_forms
from webapp.themes.lookup import latest_draft, latest_version
from webapp.themes.models import Theme, ThemeDraft, ThemeVersion
from webapp.themes.published import PublishedTheme, form_document, load_published_theme

FRONT_DESK = "FRONT_DESK"


def lane_departments(session: Session) -> dict[str, str]:
    """Lane name → department code, from the departments table (configurable, not code)."""
    mapping = {}
    for dept in session.scalars(select(Department)):
        mapping[dept.name] = dept.code
        for lane in dept.lane_names or []:
            mapping[lane] = dept.code
    return mapping


def compile_draft(session: Session, theme: Theme, bpmn_xml: str, guidance_dmn: str | None = None):
    """Compile the diagram and the guidance table, check both against the theme's
    definition, and run every path (themes/simulation.py); raise ThemeInvalid with the
    problems of all three at once."""
    typed, compiled, guidance = compile_parts(session, theme, bpmn_xml, guidance_dmn)
    # A path that stops, or a task no path reaches, blocks publishing like any other problem.
    report = simulation.simulate_theme(typed, compiled, guidance)
    if report.problems:
        raise ThemeInvalid(report.problems)
    return compiled


def compile_parts(session: Session, theme: Theme, bpmn_xml: str, guidance_dmn: str | None):
    """(typed theme, compiled diagram, guidance) of a draft, or ThemeInvalid with every
    validation problem of the diagram and the table."""
    problems: list[Problem] = []
    compiled = guidance = None
    typed = load_published_theme(theme.definition)
    try:
        compiled = compile_theme(bpmn_xml, lane_departments(session))
        problems += _check_against_definition(typed, compiled.human_tasks)
    except ThemeInvalid as exc:
        problems += exc.problems
    try:
        guidance = theme_forms.compile_version_guidance(typed, guidance_dmn)
    except ThemeInvalid as exc:
        problems += exc.problems
    if problems:
        raise ThemeInvalid(problems)
    return typed, compiled, guidance


def current_diagram(session: Session, theme: Theme) -> str | None:
    """The BPMN of the newest draft, else of the newest version."""
    draft = latest_draft(session, theme)
    if draft is not None:
        return draft.bpmn_xml
    version = latest_version(session, theme)
    return version.bpmn_xml if version is not None else None


def save_guidance(session: Session, actor: User, theme: Theme, dmn_xml: str) -> ThemeDraft:
    """An edited guidance table becomes a new draft with the current diagram; both are
    checked together, since the table names the items and the diagram's variables follow."""
    bpmn = current_diagram(session, theme)
    if bpmn is None:
        raise NotFound("该主题还没有流程图")
    return save_draft(session, actor, theme, bpmn, guidance_dmn=dmn_xml)


def current_guidance(session: Session, theme: Theme) -> str | None:
    """The guidance table of the newest draft, else of the newest version."""
    draft = latest_draft(session, theme)
    if draft is not None:
        return draft.guidance_dmn
    version = latest_version(session, theme)
    return version.guidance_dmn if version is not None else None


def _check_against_definition(theme: PublishedTheme, human_tasks: dict) -> list[Problem]:
    problems = []
    for bpmn_id, label in ((theme.acceptance_task, "综合受理"), (theme.delivery_task, "统一出件")):
        task = human_tasks.get(bpmn_id)
        if task is None:
            problems.append(Problem(f"图中缺少{label}任务 {bpmn_id}（主题定义要求）", bpmn_id))
        elif task.department != FRONT_DESK:
            problems.append(Problem(f"{label}任务应位于综合窗口泳道，现位于“{task.lane}”", bpmn_id))
    for bpmn_id, task in human_tasks.items():
        # The modeler's 办理事项 (yjs:item) must agree with the theme's item → task mapping.
        if task.item is None:
            continue
        named = theme.item(task.item)
        if named is None:
            problems.append(
                Problem(f"任务“{task.name}”标注的事项 {task.item} 不是本主题的事项", bpmn_id)
            )
        elif named.task != bpmn_id:
            problems.append(
                Problem(
                    f"任务“{task.name}”标注办理“{named.name}”，但主题定义中该事项由任务 "
                    f"{named.task} 办理",
                    bpmn_id,
                )
            )
    for item in theme.items:
        task = human_tasks.get(item.task)
        if task is None:
            problems.append(Problem(f"图中缺少事项“{item.name}”的任务 {item.task}", item.task))
        elif item.department and task.department != item.department:
            problems.append(
                Problem(
                    f"事项“{item.name}”属于{item.department_name or item.department}，"
                    f"其任务却在“{task.lane}”泳道",
                    item.task,
                )
            )
    return problems


def save_draft(
    session: Session,
    actor: User,
    theme: Theme,
    bpmn_xml: str,
    guidance_dmn: str | None = None,
) -> ThemeDraft:
    """Keep the analyst's diagram whatever it contains; record whether it can be published.

    Without `guidance_dmn` the draft keeps the guidance table of the newest draft (or
    version): saving a diagram never drops the table that goes with it.
    """
    if not access_policy.may_use(actor, Function.MODEL):
        raise Forbidden("只有业务分析人员可以编辑流程图")
    if guidance_dmn is None:
        guidance_dmn = current_guidance(session, theme)
    _refuse_unfit(bpmn_xml, BPMN_NS, "BPMN 2.0")
    if guidance_dmn:
        _refuse_unfit(guidance_dmn, DMN_NS, "DMN 1.3")
    try:
        compile_draft(session, theme, bpmn_xml, guidance_dmn)
        problems: list[Problem] = []
    except ThemeInvalid as exc:
        problems = exc.problems
    draft = ThemeDraft(
        theme_id=theme.id,
        bpmn_xml=bpmn_xml,
        guidance_dmn=guidance_dmn,
        valid=not problems,
        problems=[p.as_dict() for p in problems],
        author_id=actor.id,
    )
    session.add(draft)
    session.flush()
    trail.record(
        session,
        actor,
        "theme.draft_saved",
        theme=theme,
        after={"draft_id": draft.id, "valid": draft.valid, "problems": len(problems)},
    )
    return draft


def _refuse_unfit(xml: str, namespace: str, kind: str) -> None:
    """A document that is not BPMN/DMN at all, or carries markup a browser would render, is
    not kept even as a draft (everything else is: an analyst's work is never lost)."""
    try:
        root = parse_untrusted(xml)
    except ThemeInvalid:
        return  # malformed XML: kept as an invalid draft with its syntax problem
    problems = document_problems(root, namespace, kind)
    if problems:
        raise Invalid(f"无法保存：不是可用的 {kind} 文档", details=[p.as_dict() for p in problems])


def publish_draft(
    session: Session,
    actor: User | None,
    draft: ThemeDraft,
    *,
    reason: str | None = None,
    catalog: dict | None = None,
) -> ThemeVersion:
    """Publish a valid draft as the theme's next immutable version."""
    if actor is not None and not access_policy.may_use(actor, Function.PUBLISH):
        raise Forbidden("只有管理员可以发布主题版本")
    theme = draft.theme
    latest = latest_version(session, theme)
    if latest is not None and latest.draft_id == draft.id:
        raise Conflict(f"该草稿已发布为第 {latest.number} 版")
    return create_version(
        session,
        actor,
        theme,
        draft.bpmn_xml,
        draft.guidance_dmn,
        theme.definition,
        draft_id=draft.id,
        reason=reason,
        source="draft" if actor is not None else "shipped",
        catalog=catalog,
    )


def create_version(
    session: Session,
    actor: User | None,
    theme: Theme,
    bpmn_xml: str,
    guidance_dmn: str | None,
    definition: dict,
    *,
    draft_id: int | None,
    reason: str | None,
    source: str,
    restores: int | None = None,
    catalog: dict | None = None,
) -> ThemeVersion:
    """Compile and store the theme's next version; audited with who, when and why.

    The definition becomes the theme's own too, so later diagram drafts publish with the
    catalog this version used.
    """
    if theme.definition != definition:
        theme.definition = definition
        session.flush()
    try:
        compiled = compile_draft(session, theme, bpmn_xml, guidance_dmn)
    except ThemeInvalid as exc:
        raise Invalid(
            "草稿未通过校验，不能发布", details=[p.as_dict() for p in exc.problems]
        ) from None
    # Lock the theme row so two admins publishing at once get distinct numbers.
    session.execute(select(Theme.id).where(Theme.id == theme.id).with_for_update()).one()
    current = (
        session.scalar(
            select(func.max(ThemeVersion.number)).where(ThemeVersion.theme_id == theme.id)
        )
        or 0
    )
    version = ThemeVersion(
        theme_id=theme.id,
        number=current + 1,
        bpmn_xml=bpmn_xml,
        guidance_dmn=guidance_dmn,
        spec=serializer.spec_to_dict(compiled),
        human_tasks={
            k: {"name": t.name, "lane": t.lane, "department": t.department}
            for k, t in compiled.human_tasks.items()
        },
        definition=definition,
        form=form_document(definition),
        draft_id=draft_id,
        published_by_id=actor.id if actor else None,
        published_at=now(),
        reason=reason,
        source=source,
        restores=restores,
        catalog=catalog,
        digest=hashlib.sha256(
            json.dumps(
                [bpmn_xml, guidance_dmn, definition], sort_keys=True, ensure_ascii=False
            ).encode()
        ).hexdigest(),
    )
    session.add(version)
    session.flush()
    trail.record(
        session,
        actor,
        "theme.published",
        theme=theme,
        after={
            "version": version.number,
            "draft_id": draft_id,
            "source": source,
            "restores": restores,
            "reason": reason,
        },
        detail=reason,
    )
    return version
