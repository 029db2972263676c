"""Each shipped theme runs end to end over HTTP with the demo accounts `yjs demo-users`
lists: the applicant submits the theme's sample application, the window accepts, every
item is decided by the demo login of its department (the button saying the item type's
words), and the window hands the results out.

二手房 is a joint application (不动产登记暂行条例 §14): the demo buyer (real-name, the
sample's 陈志明) submits it, the window may not accept until the demo seller (李国强) has
confirmed it with his own account, and then the theme runs on like the others.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from stdnum.cn import uscc

from webapp.cli import main
from webapp.models import Case, CaseTask, TaskKind, TaskStatus

THEMES = Path(__file__).resolve().parents[2] / "processes" / "themes"

# What each item's decision is called, by the item's legal nature (DOMAIN.md §10), written
# out here rather than asked of forms/item_types.py.
GRANT_WORD = {
    "SAMR-QYSLDJ": "准予许可",
    "SAMR-GTGSHDJ": "准予许可",
    "SAMR-SPJYXK": "准予许可",
    "FIRE-GZJHCS": "准予许可",
    "URBAN-HWZPSZ": "准予许可",
    "WATER-PSXK": "准予许可",
    "PSB-GZKZBA": "办结",
    "TAX-SSSXBL": "办结",
    "HRSS-DWCBDJ": "办结",
    "HF-DWJCDJ": "办结",
    "HEALTH-CSYXZM": "办结",
    "PSB-CSDJ": "予以登记",
    "HSA-CXJMCB": "办结",
    "HRSS-SBKSL": "办结",
    "HEALTH-YFJZZ": "办结",
    "HOUSING-CLFWQBA": "办结",
    "TAX-CLFSFHD": "办结",
    "TAX-CLFSFJN": "办结",
    "REALTY-ZYDJ": "予以登记",
    "REALTY-DYDJ": "予以登记",
    "WATERWORKS-GSGH": "办结",
    "POWER-YDGH": "办结",
    "GAS-RQGH": "办结",
    "TELECOM-KDGH": "办结",
}


def _result_no(item_code: str, serial: int) -> str:
    """A number in the result's own format (checked at 准予 for e-licences)."""
    if item_code in ("SAMR-QYSLDJ", "SAMR-GTGSHDJ"):
        kind = "92" if item_code == "SAMR-GTGSHDJ" else "91"  # 个体工商户 / 企业
        base = f"{kind}441322MA5E2E{serial:03d}"
        return base + uscc.calc_check_digit(base)
    if item_code == "SAMR-SPJYXK":
        return f"JY1441322{serial:07d}"
    if item_code in ("REALTY-ZYDJ",):
        return f"粤（2026）博罗县不动产权第{serial:07d}号"
    return f"E2E-{item_code}-{serial:04d}"


def _answers(theme: str) -> dict:
    answers = yaml.safe_load((THEMES / theme / "sample-application.yaml").read_text("utf-8"))
    if theme == "restaurant-opening":
        # Most county restaurants are 个体工商户: the sample's company becomes one.
        answers.update(
            {
                "operator.form": "individual",
                "operator.name": "钟美玲",
                "operator.id_number": "441322199212030446",
                "operator.mobile": "13829761234",
                "individual.composition": "family",
                "enterprise.name": "博罗县罗阳味香园餐馆",
            }
        )
    return answers


@pytest.fixture
def demo_accounts(app, db) -> list[dict]:
    result = app.test_cli_runner().invoke(main, ["demo-users", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _login_for(accounts: list[dict], theme: str, department: str | None, login):
    account = next(
        a
        for a in accounts
        if theme in a["themes"] and a["department"] == department and a["role"] != "applicant"
    )
    return login(account["username"])


def _applicant_for(accounts: list[dict], theme: str, side: str | None = None) -> dict:
    return next(
        a
        for a in accounts
        if a["role"] == "applicant" and theme in a["themes"] and a["side"] == side
    )


def _open_tasks(session, case_no: str) -> list[CaseTask]:
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    return [t for t in case.tasks if t.status == TaskStatus.OPEN]


def _through_levels(accounts: list[dict], task: CaseTask, clerk, page, login, session):
    """An item with approval levels (食品经营许可) goes up level by level with the demo
    account of each level's role; the last level's page offers the decision."""
    while 'id="submit-level-form"' in page.get_data(as_text=True):
        data = {"action": "submit_level", "proposal": "grant", "opinion": "符合条件，拟准予"}
        up = clerk.post_form(f"/clerk/tasks/{task.id}", data=data)
        assert up.status_code == 302, up.get_data(as_text=True)[:800]
        session.expire_all()
        holder = session.get(CaseTask, task.id).holder_role
        account = next(
            a for a in accounts if a["department"] == task.department.code and a["role"] == holder
        )
        clerk = login(account["username"])
        page = clerk.get(f"/clerk/tasks/{task.id}")
    return clerk, page


@pytest.mark.parametrize(
    "theme", ["enterprise-opening", "newborn", "restaurant-opening", "second-hand-housing"]
)
def test_a_shipped_theme_runs_end_to_end_with_the_demo_accounts(
    theme, demo_accounts, login, session
):
    answers = _answers(theme)
    joint = theme == "second-hand-housing"
    applicant_account = _applicant_for(demo_accounts, theme, "buyer" if joint else None)
    if joint:  # the demo persons are the sample's: the buyer who applies, a seller
        buyer = answers["buyers"][0]
        assert (applicant_account["name"], answers["applicant.id_number"]) == (
            buyer["name"],
            buyer["id_number"],
        )
    applicant = login(applicant_account["username"])
    submitted = applicant.post_json("/api/cases/", {"theme": theme, "answers": answers})
    assert submitted.status_code == 201, submitted.get_json()
    case_no = submitted.get_json()["case_no"]
    if joint:
        (acceptance,) = _open_tasks(session, case_no)
        window = _login_for(demo_accounts, theme, acceptance.department.code, login)
        refused = window.post_form(f"/clerk/tasks/{acceptance.id}", data={"action": "accept"})
        assert refused.status_code == 409, refused.get_data(as_text=True)[:800]
        assert "尚未确认：卖方" in refused.get_data(as_text=True)
        seller_account = _applicant_for(demo_accounts, theme, "seller")
        assert seller_account["name"] in {p["name"] for p in answers["sellers"]}
        seller = login(seller_account["username"])
        confirmed = seller.post_form(f"/applicant/cases/{case_no}/confirm")
        assert confirmed.status_code == 302, confirmed.get_data(as_text=True)[:800]

    decided: dict[str, str] = {}
    for serial in range(1, 40):  # each round decides the tasks open now
        tasks = _open_tasks(session, case_no)
        if not tasks:
            break
        for task in tasks:
            clerk = _login_for(demo_accounts, theme, task.department.code, login)
            page = clerk.get(f"/clerk/tasks/{task.id}")
            assert page.status_code == 200, (theme, task.name)
            if task.kind == TaskKind.ACCEPTANCE:
                form = {"action": "accept"}
            elif task.kind == TaskKind.DELIVERY:
                # As the applicant chose (every sample asks for the post): a waybill number.
                method = task.case.answers["delivery.method"]
                form = {"action": "deliver", "method": method, "tracking_no": "1180123456789"}
            else:
                clerk, page = _through_levels(demo_accounts, task, clerk, page, login, session)
                word = GRANT_WORD[task.item_code]
                html = page.get_data(as_text=True)
                assert f'<button type="submit">{word}</button>' in html, (theme, task.item_code)
                form = {
                    "action": "grant",
                    "opinion": "材料齐全，符合条件",
                    "result_no": _result_no(task.item_code, serial),
                }
                decided[task.item_code] = word
            done = clerk.post_form(f"/clerk/tasks/{task.id}", data=form)
            assert done.status_code == 302, (theme, task.name, done.get_data(as_text=True)[:800])
    else:
        pytest.fail(f"{theme} did not finish")

    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.status == "completed", theme
    assert set(decided) == set(case.selected_items)
    # The applicant reads each decision in its item's words, never a licence for a registration.
    mine = applicant.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    for word in set(decided.values()):
        assert f"事项已{word}" in mine, (theme, word)
    if "准予许可" not in decided.values():
        assert "准予许可" not in mine and "不予许可" not in mine
