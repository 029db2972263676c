"""Yes/no questions never force a false answer: each is an explicit 是/否 choice, "required"
asks for an answer (either one), an unanswered guidance question is asked, not assumed.

The shipped themes are posted as a browser posts the one form: only the inputs the page
offers, a yes/no question as the value of its checked radio button."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from forms import normalise_answers, validate_application
from forms.merge import FieldUsage, FormItem, MergedField, MergedForm, MergedSection
from webapp.models import Case

THEMES = Path(__file__).resolve().parents[2] / "processes" / "themes"
THEME_CODES = sorted(p.name for p in THEMES.iterdir() if (p / "theme.yaml").is_file())
GROUP_NAME = re.compile(r"^(?P<group>[\w.]+)\[0\]\.(?P<sub>[\w.]+)$")


def sample(code: str) -> dict:
    return yaml.safe_load((THEMES / code / "sample-application.yaml").read_text("utf-8"))


def questions(code: str) -> list[str]:
    theme = yaml.safe_load((THEMES / code / "theme.yaml").read_text("utf-8"))
    return list((theme.get("questions") or {}).values())


def yes_no_keys(code: str) -> list[str]:
    """The sample's yes/no answers: every yes/no question the shipped form asks of it."""
    return [k for k, v in sample(code).items() if isinstance(v, bool)]


class _FormInputs(HTMLParser):
    """The named inputs of #application-form: name → (type, offered values)."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.inputs: dict[str, tuple[str, list[str]]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "application-form":
            self.inside = True
        elif self.inside and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            _, values = self.inputs.setdefault(a["name"], (kind, []))
            values.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def browser_post(page: str, answers: dict) -> list[tuple[str, str]]:
    """What a browser sends for `answers` typed into `page`'s one form."""
    parser = _FormInputs()
    parser.feed(page)
    data: list[tuple[str, str]] = []
    for name, (kind, values) in parser.inputs.items():
        group = GROUP_NAME.match(name)
        if kind == "hidden":
            data.extend((name, v) for v in values)
        elif "__INDEX__" in name or re.search(r"\[[1-9]\d*\]", name):
            continue  # the row template, and rows the page's script would add
        elif group:
            rows = answers.get(group["group"]) or []
            data.extend(
                (f"{group['group']}[{i}].{group['sub']}", str(row[group["sub"]]))
                for i, row in enumerate(rows)
                if group["sub"] in row
            )
        elif name not in answers:
            continue
        elif kind == "radio":
            value = {True: "true", False: "false"}[answers[name]]
            assert value in values, f"{name}: the page offers {values}, not {value}"
            data.append((name, value))
        elif kind == "checkbox":
            data.extend((name, v) for v in answers[name] if v in values)
        else:
            data.append((name, str(answers[name])))
    return data


def guide_query(code: str, answers: dict) -> str:
    parts = ["step=form"]
    for key in questions(code):
        value = answers[key]
        parts.append(f"{key}={'true' if value is True else 'false' if value is False else value}")
    return "&".join(parts)


CASES = [(code, key) for code in THEME_CODES for key in yes_no_keys(code)]


@pytest.mark.parametrize(("code", "key"), CASES, ids=[f"{c}:{k}" for c, k in CASES])
def test_every_yes_no_question_can_be_answered_no_in_the_browser(login, session, code, key):
    applicant = login("zhangsan")
    answers = {**sample(code), key: False}
    response = applicant.get(f"/applicant/apply/{code}?{guide_query(code, answers)}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    # Where 否 deselects items, the page is the form of the reduced item set.
    data = browser_post(page, answers)
    response = applicant.post_form(
        f"/applicant/apply/{code}", data=data + [("csrf_token", applicant.csrf)]
    )
    assert response.status_code == 302, re.findall(
        r'<p class="error" role="alert">([^<]+)', response.get_data(as_text=True)
    )
    case_no = re.search(r"YJS-\d{8}-\d{6}", response.headers["Location"]).group(0)
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.answers[key] is False


def test_yes_no_questions_are_two_explicit_choices(login):
    page = login("zhangsan").get(
        "/applicant/apply/second-hand-housing?step=form&property.mortgage_status=none"
        "&utility.water_transfer=true"
        "&utility.power_transfer=true&utility.gas_transfer=true&utility.broadband_transfer=true"
    )
    html = page.get_data(as_text=True)
    for key in ("tax.seller_sole_home",):
        assert f'type="radio" name="{key}" value="true"' in html
        assert f'type="radio" name="{key}" value="false"' in html
        assert f'type="checkbox" name="{key}"' not in html


def test_a_required_yes_no_question_left_unanswered_is_asked(login):
    answers = sample("second-hand-housing")
    del answers["tax.seller_sole_home"]
    applicant = login("zhangsan")
    response = applicant.post_json(
        "/api/cases/", {"theme": "second-hand-housing", "answers": answers}
    )
    assert response.status_code == 422
    assert "是否卖方家庭唯一生活用房为必填项" in str(response.get_json())


def test_an_unanswered_guidance_question_is_asked_not_assumed(login):
    applicant = login("zhangsan")
    guide = applicant.get("/applicant/apply/enterprise-opening?step=form")
    assert guide.status_code == 422
    assert "是否办理住房公积金缴存登记为必填项" in guide.get_data(as_text=True)

    answers = sample("enterprise-opening")
    del answers["housing_fund.needed"]
    response = applicant.post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": answers}
    )
    assert response.status_code == 422
    assert "是否办理住房公积金缴存登记为必填项" in str(response.get_json())


def test_an_optional_yes_no_question_may_stay_empty():
    """No shipped item asks an optional yes/no question yet: the rule, on a form of one."""
    asked = MergedField(
        key="x.flag", label="是否X", type="boolean", usages=(FieldUsage("A", False),)
    )
    form = MergedForm(
        (FormItem("A", "事项A"),), (asked,), (MergedSection("common", "基本信息", ("x.flag",)),)
    )
    assert validate_application(form, {}) == []
    assert normalise_answers(form, {"x.flag": "false"}) == {"x.flag": False}
    required = replace(asked, usages=(FieldUsage("A", True),))
    form = replace(form, fields=(required,))
    assert [e.code for e in validate_application(form, {})] == ["required"]
    assert validate_application(form, {"x.flag": "false"}) == []  # 否 is an answer
