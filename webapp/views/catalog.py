"""Admins edit the item catalog in the browser: records saved as drafts, published into
the themes that use them (see views/publications.py), exported back as YAML files."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.catalog_export import item_yaml
from forms.items import DELIVERY_METHODS, MATERIAL_SOURCES, ORIGINAL_OR_COPY, RESULT_TYPES
from webapp.access_policy import Function
from webapp.catalog import editing, records
from webapp.db import db_session
from webapp.domain_errors import Invalid, NotFound
from webapp.http_headers import yaml_document
from webapp.themes.candidates import item_codes, themes_using
from webapp.themes.lookup import list_themes

from .guards import requires
from .inputs import ItemEditInput, load_or_errors

bp = Blueprint("catalog", __name__, url_prefix="/admin/catalog")

ROW = re.compile(r"^(fees|fields|materials)-(\d{1,3})-([a-z_]+)$")
# Empty rows offered for adding a fee, a field or a material without any script.
SPARE_ROWS = {"fees": 1, "fields": 2, "materials": 1}
CHECKBOXES = {"fields": ("required",), "materials": ("required", "tolerance")}


def _processes_dir():
    return current_app.config["PROCESSES_DIR"]


@bp.get("/")
@requires(Function.PUBLISH)
def items():
    session = db_session()
    documents = records.documents_in_force(session, _processes_dir())
    drafts = records.pending_drafts(session)
    used_by: dict[str, list[str]] = {}
    for theme in list_themes(session):
        for code in item_codes(theme):
            used_by.setdefault(code, []).append(theme.name)
    return render_template(
        "admin/catalog.html", documents=documents, drafts=drafts, used_by=used_by
    )


def _edit_page(code: str, document: dict, problems=(), status: int = 200):
    session = db_session()
    catalog = records.catalog_in_force(session, _processes_dir())
    return render_template(
        "admin/catalog_item.html",
        code=code,
        document=document,
        draft=records.pending_drafts(session).get(code),
        themes=themes_using(session, [code]),
        dictionary=catalog.fields,
        problems=problems,
        spare=SPARE_ROWS,
        choices={
            "delivery": DELIVERY_METHODS,
            "result_type": RESULT_TYPES,
            "source": MATERIAL_SOURCES,
            "original_or_copy": ORIGINAL_OR_COPY,
        },
    ), status


@bp.get("/<item_code>")
@requires(Function.PUBLISH)
def edit(item_code: str):
    document = editing.current_document(db_session(), _processes_dir(), item_code)
    return _edit_page(item_code, document)


@bp.post("/<item_code>")
@requires(Function.PUBLISH)
def save(item_code: str):
    session = db_session()
    base = editing.current_document(session, _processes_dir(), item_code)
    data, errors = load_or_errors(ItemEditInput(), _gathered(request.form))
    if errors:
        problems = [{"message": f"{key}：{message}"} for key, message in errors.items()]
        return _edit_page(item_code, base, problems, 422)
    changes = editing.changes_from_input(data)
    try:
        editing.save_item_draft(session, current_user, _processes_dir(), item_code, changes)
    except Invalid as exc:
        session.rollback()
        shown = editing.edited_document(base, changes)
        return _edit_page(item_code, shown, exc.details or [{"message": exc.message}], 422)
    session.commit()
    names = "、".join(t.name for t in themes_using(session, [item_code]))
    flash(f"事项 {item_code} 的草稿已保存；发布使用它的主题（{names}）后生效")
    return redirect(url_for("catalog.edit", item_code=item_code))


@bp.post("/<item_code>/discard")
@requires(Function.PUBLISH)
def discard(item_code: str):
    session = db_session()
    editing.discard_item_draft(session, current_user, item_code)
    session.commit()
    flash(f"已放弃事项 {item_code} 的草稿")
    return redirect(url_for("catalog.edit", item_code=item_code))


@bp.get("/<item_code>/export.yaml")
@requires(Function.PUBLISH)
def export(item_code: str):
    """The record in force as its YAML file, to commit to processes/catalog/items/."""
    documents = records.documents_in_force(db_session(), _processes_dir())
    if item_code not in documents:
        raise NotFound("事项不存在")
    return yaml_document(item_yaml(documents[item_code]), f"{item_code}.yaml")


def _gathered(form) -> dict:
    """The flat form (`materials-0-code` …) as the nested input the schema reads."""
    data: dict = {k: form.get(k) for k in form if not ROW.match(k) and k != "delivery"}
    data["delivery"] = form.getlist("delivery")
    data["result_e_licence"] = "result_e_licence" in form
    rows: dict[str, dict[int, dict]] = {"fees": {}, "fields": {}, "materials": {}}
    for key in form:
        match = ROW.match(key)
        if match:
            group, index, name = match.group(1), int(match.group(2)), match.group(3)
            rows[group].setdefault(index, {})[name] = form.get(key)
    for group, boxes in CHECKBOXES.items():
        for row in rows[group].values():
            for box in boxes:
                row[box] = box in row
    for group, by_index in rows.items():
        data[group] = [by_index[i] for i in sorted(by_index)]
    return data
