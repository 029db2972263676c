"""The one-time notice (一次告知书) of a published theme version, for a set of answers.

Built only from the version's own snapshot (item facts, form, guidance stored at publish),
so the notice of a running version never changes when the catalog does. The items are
chosen by the product's guidance path (theme_forms), never by hand here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms import Holdings, MergedField
from forms.notice import Notice, NoticeSource, build_notice
from webapp.domain_errors import Conflict, Invalid
from webapp.themes import theme_forms
from webapp.themes.models import ThemeVersion
from webapp.themes.published import published_theme


def source_of(version: ThemeVersion) -> NoticeSource:
    """The notice facts stored with the version."""
    source = published_theme(version).notice
    if source is None:
        # Published before notices were snapshotted: telling today's catalog facts as this
        # version's would be wrong, so say what to do instead.
        raise Conflict("该主题版本发布时未保存一次告知所需的事项信息，请管理员重新加载并发布新版本")
    return source


def question_keys(version: ThemeVersion) -> tuple[str, ...]:
    """Field keys of the version's guidance questions, in asking order."""
    return tuple(theme_forms.question_fields(version))


def notice_for(
    version: ThemeVersion, raw_answers: Mapping[str, Any], holdings: Holdings | None = None
) -> Notice:
    """The notice for these question answers; none answered gives the complete notice.
    `holdings`: a logged-in applicant's e-licences (their exemptions name the licence).

    Raises Invalid (422) with one message per question when the answers cannot be decided on.
    """
    source = source_of(version)
    keys = question_keys(version)
    given = {k: raw_answers[k] for k in keys if _answered(raw_answers.get(k))}
    conditional = theme_forms.conditional_items(version)
    if not given and keys:
        return build_notice(
            source,
            None,
            conditional=conditional,
            reasons=theme_forms.guidance_reasons(version, None),
            holdings=holdings,
        )
    decision = theme_forms.decide_items(version, given)
    if decision.errors:
        raise Invalid("导办问题的回答有误", details=decision.errors)
    form = theme_forms.version_form(version)
    shown = [
        (form.field(k).label, _answer_text(form.field(k), decision.answers.get(k))) for k in keys
    ]
    return build_notice(
        source,
        decision.selected,
        conditional=conditional,
        reasons=theme_forms.guidance_reasons(version, decision),
        answers=shown,
        holdings=holdings,
    )


def _answered(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _answer_text(field: MergedField, value: Any) -> str:
    if value is None or value == "":
        return "未回答"
    if isinstance(value, bool):
        return "是" if value else "否"
    labels = {o.value: o.label for o in field.options}
    text = labels.get(value, str(value))
    return f"{text} {field.unit}" if field.unit else text
