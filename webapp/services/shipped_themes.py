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

from forms import load_catalog, load_theme_definition, theme_form, theme_materials

from ..models import Department, Theme, ThemeDraft
from . import audit
from .themes import latest_version, publish_draft


def load_shipped(session: Session, processes_dir: Path) -> list[str]:
    """Sync departments and themes; return a report, one line per theme (Chinese)."""
    processes_dir = Path(processes_dir)
    catalog = load_catalog(processes_dir / "catalog")
    _sync_departments(session, catalog)
    departments = {d.code: d for d in session.scalars(select(Department))}
    report = []
    for theme_dir in sorted(p.parent for p in (processes_dir / "themes").glob("*/theme.yaml")):
        report.append(_load_theme(session, theme_dir, catalog, departments))
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
        "variables": dict(definition.variables),
        "questions": list(definition.question_keys),
        "items": [
            {
                "code": i.item,
                "name": catalog.item(i.item).name,
                "task": i.task,
                "condition": i.condition,
                "department": catalog.item(i.item).department,
                "department_name": catalog.department_of(catalog.item(i.item)).name,
            }
            for i in definition.items
        ],
        "form": theme_form(definition, catalog).to_dict(),
        "materials": theme_materials(definition, catalog).to_dict(),
    }


def _load_theme(session: Session, theme_dir: Path, catalog, departments) -> str:
    definition = load_theme_definition(theme_dir, catalog)
    bpmn = (theme_dir / "process.bpmn").read_text(encoding="utf-8")
    document = definition_document(definition, catalog)
    digest = hashlib.sha256((bpmn + repr(sorted(document.items()))).encode()).hexdigest()

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

    draft = ThemeDraft(theme_id=theme.id, bpmn_xml=bpmn, valid=True, problems=[])
    session.add(draft)
    session.flush()
    audit.record(
        session,
        None,
        "theme.loaded",
        theme=theme,
        after={"draft_id": draft.id, "source": str(theme_dir.name)},
    )
    if latest_version(session, theme) is None:
        version = publish_draft(session, None, draft)
        return f"{definition.name}：已发布第 {version.number} 版"
    return f"{definition.name}：流程图有更新，已保存为草稿 #{draft.id}，待管理员发布"
