"""Golden files: for each shipped theme and each answer set in answers/<theme>.yaml, the
merged JSON Schema, the material set with its exemptions and the one-time notice must
equal the checked-in JSON under expected/. Regenerate with YJS_UPDATE_GOLDEN=1 (README.md).

The items are selected through the product's path: the published version's guidance
decision table (theme_forms.decide_items), exactly as an applicant's answers would be.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from webapp.models import Theme
from webapp.themes import lookup as themes
from webapp.themes import notices, theme_forms

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ANSWERS = HERE / "answers"
EXPECTED = HERE / "expected"
UPDATE = os.environ.get("YJS_UPDATE_GOLDEN") == "1"
KINDS = ("schema", "materials", "notice")
MAX_DIFF_LINES = 200

SHIPPED = sorted(p.parent.name for p in (REPO / "processes" / "themes").glob("*/theme.yaml"))


def _answer_sets() -> list:
    params = []
    for theme in SHIPPED:
        path = ANSWERS / f"{theme}.yaml"
        if not path.is_file():
            continue  # reported by test_every_shipped_theme_has_answer_sets
        for answer_set in yaml.safe_load(path.read_text(encoding="utf-8"))["sets"]:
            params.append(pytest.param(theme, answer_set, id=f"{theme}/{answer_set['name']}"))
    return params


def as_golden_text(data: Any) -> str:
    """The stored form: UTF-8 Chinese as is, indented, keys sorted, one final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def produce(version, answers: dict) -> dict[str, Any]:
    """The three outputs for one set of answers, from the published version."""
    decision = theme_forms.decide_items(version, answers)
    assert decision.errors == [], decision.errors  # an answer set must be decidable
    form = theme_forms.version_form(version).for_items(decision.selected)
    notice = notices.notice_for(version, answers)
    assert [e.item.code for e in notice.entries] == list(decision.selected)
    return {
        "schema": form.to_json_schema(title=version.theme.name),
        "materials": notice.materials.to_dict(),
        "notice": notice.to_dict(),
    }


def _compare(path: Path, produced: str) -> str | None:
    """None when equal (or updated); otherwise a readable unified diff."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(produced, encoding="utf-8")
        return None
    rel = path.relative_to(REPO)
    if not path.is_file():
        return f"{rel}: 金标准文件不存在 / golden file missing (YJS_UPDATE_GOLDEN=1 to create)"
    expected = path.read_text(encoding="utf-8")
    if expected == produced:
        return None
    diff = list(
        difflib.unified_diff(
            expected.splitlines(),
            produced.splitlines(),
            fromfile=f"{rel} (golden)",
            tofile=f"{rel} (produced)",
            lineterm="",
        )
    )
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"… {len(diff) - MAX_DIFF_LINES} more diff lines"]
    return "\n".join(diff)


def test_every_shipped_theme_has_answer_sets():
    assert len(SHIPPED) >= 4, SHIPPED
    for theme in SHIPPED:
        path = ANSWERS / f"{theme}.yaml"
        assert path.is_file(), f"{path.relative_to(REPO)} is missing"
        sets = yaml.safe_load(path.read_text(encoding="utf-8"))["sets"]
        assert 2 <= len(sets) <= 3, theme
        assert len({s["name"] for s in sets}) == len(sets), theme


def test_no_stale_golden_files():
    wanted = {
        EXPECTED / p.values[0] / f"{p.values[1]['name']}.{kind}.json"
        for p in _answer_sets()
        for kind in KINDS
    }
    stale = sorted(str(p.relative_to(REPO)) for p in EXPECTED.rglob("*.json") if p not in wanted)
    assert not stale, f"golden files without an answer set: {stale}"


@pytest.mark.parametrize(("theme_code", "answer_set"), _answer_sets())
def test_outputs_match_the_golden_files(app, session, theme_code, answer_set):
    theme = session.scalars(select(Theme).where(Theme.code == theme_code)).one()
    version = themes.latest_version(session, theme)
    assert version is not None, f"{theme_code} has no published version"
    with app.app_context():
        produced = produce(version, answer_set["answers"])
    problems = []
    for kind in KINDS:
        path = EXPECTED / theme_code / f"{answer_set['name']}.{kind}.json"
        problem = _compare(path, as_golden_text(produced[kind]))
        if problem:
            problems.append(problem)
    if problems:
        pytest.fail(
            f"{theme_code}/{answer_set['name']}（{answer_set['description']}）"
            "与金标准不一致 / differs from the golden files; if the change is intended, "
            "regenerate with YJS_UPDATE_GOLDEN=1 and review the diff:\n\n" + "\n\n".join(problems),
            pytrace=False,
        )
