"""Demo accounts cover every department of every shipped theme; `yjs demo-users --json`
lists them for scripts, the plain output groups them by theme."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import select

from webapp.cli import main
from webapp.models import User
from webapp.parties import case_parties

HOUSING_SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "processes/themes/second-hand-housing/sample-application.yaml"
)

SHIPPED = {"enterprise-opening", "newborn", "restaurant-opening", "second-hand-housing"}
# Read off the shipped diagrams' lanes: the departments each theme routes tasks to.
LANES = {
    "enterprise-opening": {"FRONT_DESK", "SAMR", "PSB", "TAX", "HRSS", "HF"},
    "newborn": {"FRONT_DESK", "HEALTH", "PSB", "HRSS", "HSA"},
    "restaurant-opening": {"FRONT_DESK", "SAMR", "FIRE", "URBAN", "WATER"},
    "second-hand-housing": {
        "FRONT_DESK", "HOUSING", "TAX", "REALTY", "WATERWORKS", "POWER", "GAS", "TELECOM",
    },
}  # fmt: skip


def test_json_lists_every_account_with_role_department_and_themes(app, db):
    result = app.test_cli_runner().invoke(main, ["demo-users", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert {"username", "role", "department", "themes"} <= set(accounts[0])
    by_name = {a["username"]: a for a in accounts}
    assert by_name["zhangsan"]["role"] == "applicant" and by_name["zhangsan"]["department"] is None
    assert set(by_name["admin"]["themes"]) == SHIPPED
    assert by_name["realty"]["department"] == "REALTY"
    assert by_name["realty"]["themes"] == ["second-hand-housing"]
    for theme, departments in LANES.items():
        covered = {a["department"] for a in accounts if theme in a["themes"]}
        assert departments <= covered, (theme, departments - covered)
        roles = {a["role"] for a in accounts if theme in a["themes"]}
        assert {"applicant", "front_desk", "approver"} <= roles


def test_plain_output_is_grouped_by_theme(app, db):
    output = app.test_cli_runner().invoke(main, ["demo-users"]).output
    housing = output.split("二手房转移登记及水电气网联动过户一件事")[1].split("\n\n")[0]
    for username in ("window", "realty", "housing", "tax", "gas", "telecom"):
        assert f"  {username} " in housing
    assert "  samr " not in housing


def test_real_name_applicants_are_the_housing_samples_persons_as_registration_stores_them(
    app, db, session
):
    accounts = json.loads(app.test_cli_runner().invoke(main, ["demo-users", "--json"]).output)
    persons = {a["side"]: a for a in accounts if a["side"]}
    assert set(persons) == {"buyer", "seller"}
    for account in persons.values():
        assert account["role"] == "applicant" and account["themes"] == ["second-hand-housing"]
    sample = yaml.safe_load(HOUSING_SAMPLE.read_text(encoding="utf-8"))
    for side, group in (("buyer", "buyers"), ("seller", "sellers")):
        user = session.scalars(select(User).where(User.username == persons[side]["username"])).one()
        named = next(p for p in sample[group] if p["name"] == user.display_name)
        # What the access policy checks: the verified mobile and the person of the ID number.
        assert user.mobile == named["mobile"] and user.mobile_verified_at is not None
        me = case_parties.own_person(user)
        assert (me.name, me.number) == (named["name"], named["id_number"])
    # The submitter is the buyer the sample names as its applicant.
    assert persons["buyer"]["name"] == sample["applicant.name"]

    output = app.test_cli_runner().invoke(main, ["demo-users"]).output
    housing = output.split("二手房转移登记及水电气网联动过户一件事")[1].split("\n\n")[0]
    assert f"  {persons['buyer']['username']} " in housing and "（买方）" in housing
    assert f"  {persons['seller']['username']} " in housing and "（卖方）" in housing
    newborn = output.split("新生儿出生一件事")[1].split("\n\n")[0]
    assert persons["buyer"]["username"] not in newborn
