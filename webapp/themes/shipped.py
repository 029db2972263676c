"""Loading the item catalog and the shipped themes from processes/ into the database.

Idempotent. A theme without any version gets its shipped diagram published as version 1.
When a shipped diagram later changes, it arrives as a *draft* for an admin to publish —
a reload never overwrites what analysts and admins published.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.problems import ThemeInvalid
from forms import load_theme_definition, theme_form, theme_materials
from forms.items import ONE_LEVEL
from forms.notice import notice_source
from webapp.accounts.models import Department
from webapp.audit import trail
from webapp.catalog import records
from webapp.themes.lookup import latest_version
from webapp.themes.models import Theme, ThemeDraft
from webapp.themes.publishing import compile_draft, publish_draft


def load_shipped(session: Session, processes_dir: Path) -> list[str]:
    """Sync departments and themes; return a report, one line per theme (Chinese)."""
    processes_dir = Path(processes_dir)
    # The files, with the item records admins published in the browser on top.
    catalog = records.catalog_in_force(session, processes_dir)
    documents = records.documents_in_force(session, processes_dir)
    _sync_departments(session, catalog)
    departments = {d.code: d for d in session.scalars(select(Department))}
    report = []
    for theme_dir in sorted(p.parent for p in (processes_dir / "themes").glob("*/theme.yaml")):
        report.append(_load_theme(session, theme_dir, catalog, departments, documents))
    return report


def _sync_departments(session: Session, catalog) -> None:
    existing = {d.code: d for d in session.scalars(select(Department))}
    for code, dept in catalog.departments.items():
        row = existing.get(code) or Department(code=code)
        row.name = dept.name
        row.lane_names = list(dept.lane_names)
        session.add(row)
    session.flush()


def definition_document(definition, catalog) -> dict:
    """The theme as stored: routing, items with their departments, merged form, materials."""
    return {
        "code": definition.code,
        "name": definition.name,
        "acceptance_task": definition.acceptance_task,
        "delivery_task": definition.delivery_task,
        "on_denial": definition.on_denial,
        "yellow_card_at": str(definition.yellow_card_at),
        "acceptance_days": str(definition.acceptance_days),
        "delivery_days": str(definition.delivery_days),
        "settings": [setting.to_dict() for setting in definition.settings],
        "joint_application": dict(definition.joint_application),  # group key → party role
        "variables": dict(definition.variables),  # BPMN variable → item code
        "questions": list(definition.question_keys),  # field keys, in asking order
        "question_variables": dict(definition.questions),  # guidance variable → field key
        "guidance": definition.guidance_file,
        # How the public catalog lists the theme (not used by cases).
        "portal": {
            "wish": definition.wish,
            "audience": definition.audience,
            "event": definition.event,
        },
        "items": [
            {
                "code": i.item,
                "name": catalog.item(i.item).name,
                "task": i.task,
                "selected_by": i.selected_by,
                "department": catalog.item(i.item).department,
                "department_name": catalog.department_of(catalog.item(i.item)).name,
                **_item_terms(catalog.item(i.item)),
            }
            for i in definition.items
        ],
        "form": theme_form(definition, catalog).to_dict(),
        "materials": theme_materials(definition, catalog).to_dict(),
        # Item facts the one-time notice tells (fees, places, phones...), frozen per version.
        "notice": notice_source(definition, catalog).to_dict(),
    }


def _item_terms(record) -> dict:
    """What the workbench needs per item: its time limits (deadlines) and its result."""
    result = record.result
    # Approval levels and 告知承诺 are written only when the record declares them, so the
    # documents (and digests) of items that do not stay as they were.
    extra: dict = {}
    if record.approval_levels != ONE_LEVEL:
        extra["approval_levels"] = [
            {"name": lv.name, "role": lv.role} for lv in record.approval_levels
        ]
    if record.promise is not None:
        extra["promise"] = {"text": record.promise.text, "check_days": record.promise.check_days}
    return {
        **extra,
        "type": record.type,
        "kind": record.kind,
        "days_unit": record.days_unit,
        "legal_days": str(record.legal_days),
        "promised_days": str(record.promised_days),
        "result": (
            {"name": result.name, "type": result.type, "e_licence": result.e_licence}
            if result
            else None
        ),
    }


def _load_theme(session: Session, theme_dir: Path, catalog, departments, documents) -> str:
    definition = load_theme_definition(theme_dir, catalog)
    bpmn = (theme_dir / "process.bpmn").read_text(encoding="utf-8")
    guidance = None
    if definition.guidance_file:
        guidance = (theme_dir / definition.guidance_file).read_text(encoding="utf-8")
    document = definition_document(definition, catalog)
    shipped = bpmn + (guidance or "") + repr(sorted(document.items()))
    digest = hashlib.sha256(shipped.encode()).hexdigest()

    theme = session.scalars(select(Theme).where(Theme.code == definition.code)).one_or_none()
    if theme is not None and theme.shipped_hash == digest:
        return f"{definition.name}：无变化"
    if theme is None:
        theme = Theme(code=definition.code)
        session.add(theme)
    theme.name = definition.name
    theme.summary = definition.summary
    theme.lead_department_id = departments[definition.lead_department].id
    theme.definition = document
    theme.shipped_hash = digest
    session.flush()

    # Checked like an analyst's draft: a broken shipped table waits as an invalid draft.
    try:
        compile_draft(session, theme, bpmn, guidance)
        problems = []
    except ThemeInvalid as exc:
        problems = [p.as_dict() for p in exc.problems]
    draft = ThemeDraft(
        theme_id=theme.id,
        bpmn_xml=bpmn,
        guidance_dmn=guidance,
        valid=not problems,
        problems=problems,
    )
    session.add(draft)
    session.flush()
    trail.record(
        session,
        None,
        "theme.loaded",
        theme=theme,
        after={"draft_id": draft.id, "source": str(theme_dir.name)},
    )
    if latest_version(session, theme) is None:
        snapshot = {c: documents[c] for c in definition.item_codes if c in documents}
        version = publish_draft(session, None, draft, catalog=snapshot)
        return f"{definition.name}：已发布第 {version.number} 版"
    changed = f"{definition.name}：流程图或导办决策表有更新"
    if problems:
        return f"{changed}，草稿 #{draft.id} 有 {len(problems)} 个问题，不能发布"
    return f"{changed}，已保存为草稿 #{draft.id}，待管理员发布"
