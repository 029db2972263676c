"""Admins edit item records as drafts: time limits, fees, legal basis, result, delivery,
fields (from the field dictionary) and materials.

A draft is checked exactly as a file would be (`forms.catalog.with_item_records`, the
loader's own rules), and against every theme using the item: a field whose constraints
no longer merge with another item's is refused naming both items. Attributes the page
does not edit (and keys added to the catalog format later) are carried over untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import CatalogInvalid
from forms.catalog import with_item_records
from forms.catalog_files import as_decimal
from webapp import access_policy
from webapp.access_policy import Function
from webapp.accounts.models import User
from webapp.audit import trail
from webapp.catalog import records
from webapp.catalog.models import CatalogItemRevision, RevisionStatus
from webapp.domain_errors import Conflict, Forbidden, Invalid, NotFound
from webapp.themes.candidates import rebuilt_definition, themes_using

# The attributes the page edits, replaced whole by what the admin sends.
EDITED = ("legal_days", "promised_days", "fees", "legal_basis", "result", "delivery")
# Per field and per material, what the page edits; anything else of an entry is kept.
FIELD_EDITS = ("required",)
MATERIAL_EDITS = (
    "name", "source", "original_or_copy", "copies", "required", "tolerance",
    "produced_by", "e_licence_type", "shared_from", "note",
)  # fmt: skip


def current_document(session: Session, processes_dir: Path, code: str) -> dict[str, Any]:
    """The record as the editor shows it: the pending draft, else the record in force."""
    documents = records.draft_documents(session, processes_dir)
    if code not in documents:
        raise NotFound("事项不存在")
    return documents[code]


def edited_document(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with the page's changes; entries keep what the page does not show."""
    document = dict(base)
    for name in EDITED:
        if name in changes:
            document[name] = changes[name]
    if "fields" in changes:
        old = {f.get("key"): f for f in base.get("fields", []) if isinstance(f, dict)}
        document["fields"] = [
            {**old.get(f["key"], {}), "key": f["key"], **{k: f[k] for k in FIELD_EDITS}}
            for f in changes["fields"]
        ]
    if "materials" in changes:
        old = {m.get("code"): m for m in base.get("materials", []) if isinstance(m, dict)}
        document["materials"] = [
            _without_empty({**old.get(m["code"], {}), "code": m["code"],
                            **{k: m.get(k) for k in MATERIAL_EDITS}}, old.get(m["code"], {}))
            for m in changes["materials"]
        ]  # fmt: skip
    return document


def _without_empty(entry: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    # An optional attribute left blank is absent in the file, as an analyst would write it;
    # so is an unticked 容缺 the file never mentioned (false is its default).
    return {
        k: v
        for k, v in entry.items()
        if v is not None and v != "" and not (v is False and k == "tolerance" and k not in old)
    }


def save_item_draft(
    session: Session, actor: User, processes_dir: Path, code: str, changes: dict[str, Any]
) -> CatalogItemRevision:
    """Check the edited record and keep it as the item's draft (replacing an older one)."""
    if not access_policy.may_use(actor, Function.PUBLISH):
        raise Forbidden("只有管理员可以编辑事项目录")
    in_force = records.documents_in_force(session, processes_dir)
    if code not in in_force:
        raise NotFound("事项不存在")
    document = edited_document(current_document(session, processes_dir, code), changes)
    try:
        catalog = with_item_records(
            records.catalog_with_drafts(session, processes_dir), {code: document}
        )
    except CatalogInvalid as exc:
        raise Invalid("事项未通过校验", details=[p.as_dict() for p in exc.problems]) from None
    for theme in themes_using(session, [code]):
        rebuilt_definition(theme, catalog)  # raises Invalid naming both items of a conflict
    for older in session.scalars(
        select(CatalogItemRevision).where(
            CatalogItemRevision.item_code == code,
            CatalogItemRevision.status == RevisionStatus.DRAFT,
        )
    ):
        older.status = RevisionStatus.SUPERSEDED
    revision = CatalogItemRevision(
        item_code=code, document=document, status=RevisionStatus.DRAFT, author_id=actor.id
    )
    session.add(revision)
    session.flush()
    trail.record(
        session,
        actor,
        "catalog.item_draft_saved",
        before={
            k: in_force[code].get(k) for k in EDITED if in_force[code].get(k) != document.get(k)
        },
        after={
            "item": code,
            "revision": revision.id,
            **{k: document.get(k) for k in EDITED if in_force[code].get(k) != document.get(k)},
        },
    )
    return revision


def discard_item_draft(session: Session, actor: User, code: str) -> None:
    if not access_policy.may_use(actor, Function.PUBLISH):
        raise Forbidden("只有管理员可以编辑事项目录")
    draft = records.pending_drafts(session).get(code)
    if draft is None:
        raise Conflict("该事项没有待发布的草稿")
    draft.status = RevisionStatus.SUPERSEDED
    trail.record(
        session, actor, "catalog.item_draft_discarded", after={"item": code, "revision": draft.id}
    )


def changes_from_input(data: dict[str, Any]) -> dict[str, Any]:
    """The editor's typed input as record attributes; blank rows are dropped, and numbers
    written as numbers (the file format's), the rest left for the catalog rules to judge."""
    return {
        "legal_days": _number(data["legal_days"]),
        "promised_days": _number(data["promised_days"]),
        "legal_basis": [line.strip() for line in data["legal_basis"].splitlines() if line.strip()],
        "fees": [
            {"name": f["name"], "amount": _number(f["amount"]), "basis": f["basis"]}
            for f in data["fees"]
            if f["name"] or f["amount"] or f["basis"]
        ],
        "result": {
            "name": data["result_name"],
            "type": data["result_type"],
            "e_licence": data["result_e_licence"],
        },
        "delivery": list(dict.fromkeys(data["delivery"])),
        "fields": [f for f in data["fields_"] if f["key"]],
        "materials": [
            {**m, "copies": _number(m["copies"])} for m in data["materials"] if m["code"]
        ],
    }


def _number(text: str) -> Any:
    value = as_decimal(text.strip()) if isinstance(text, str) else None
    if value is None:
        return text
    return int(value) if value == value.to_integral_value() else str(value)
