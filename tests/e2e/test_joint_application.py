"""共同申请 in Chromium (不动产登记暂行条例 §14), on a phone and on a desktop: the buyer
submits the 二手房 sample; the seller, who registered with the ID number and mobile the
form gives for him, finds it in 我的办件, reads it and confirms; the front desk sees who has
confirmed. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.e2e.test_applicant_materials_journey import _no_horizontal_scroll

from .test_registration_and_messages import PASSWORD, _code_sent_to

pytestmark = pytest.mark.e2e

SAMPLE_DIR = "processes/themes/second-hand-housing/sample-application.yaml"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}


def _register(live_server, name: str, id_number: str, mobile: str) -> None:
    """Registration as the pages do it (covered in the browser elsewhere)."""
    from webapp.accounts import one_time_codes, registration
    from webapp.db import db_session

    with live_server.app.app_context():
        session = db_session()
        one_time_codes.request_code(session, mobile, "register", "127.0.0.1")
        session.commit()
    code = _code_sent_to(live_server, mobile)
    with live_server.app.app_context():
        session = db_session()
        user = registration.register_applicant(
            session, name=name, id_number=id_number, mobile=mobile, code=code, password=PASSWORD
        )
        assert not isinstance(user, str), user
        session.commit()


def _answers(device: str) -> dict:
    """The sample with this run's own people (the live server is shared by both runs)."""
    from pathlib import Path

    answers = yaml.safe_load((Path(__file__).resolve().parents[2] / SAMPLE_DIR).read_text("utf-8"))
    if device == "phone":
        return answers
    # Desktop: the co-owners trade places (刘丽 buys from 王秀兰), with her own accounts.
    answers["sellers"], answers["buyers"] = answers["sellers"][1:], answers["buyers"][1:]
    buyer = answers["buyers"][0]
    for key in ("name", "id_type", "id_number", "mobile"):
        answers[f"applicant.{key}"] = buyer[key]
    answers["property.buyer_ownership"] = "sole"
    return answers


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_seller_confirms_and_the_front_desk_sees_it(
    device, browser, live_server, artifacts_dir
):
    from playwright.sync_api import expect

    from webapp.accounts.users import DEMO_PASSWORD

    width, height = VIEWPORTS[device]
    answers = _answers(device)
    buyer, seller = answers["buyers"][0], answers["sellers"][0]
    for person in (buyer, seller):
        _register(live_server, person["name"], person["id_number"], person["mobile"])
    contexts = []

    def login(username, password):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server("/login"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form[action='/login'] button[type=submit]")
        return page

    try:
        page = login(buyer["mobile"], PASSWORD)
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        response = page.request.post(
            live_server("/api/cases/"),
            data=json.dumps({"theme": "second-hand-housing", "answers": answers}),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert response.status == 201, response.text()
        case_no = response.json()["case_no"]

        seller_page = login(seller["mobile"], PASSWORD)
        seller_page.goto(live_server("/applicant/"))
        expect(seller_page.locator("#my-cases")).to_contain_text(case_no)
        with seller_page.expect_navigation():
            seller_page.click(f"text={case_no}")
        sides = seller_page.locator("#joint-application")
        expect(sides.locator('[data-role="seller"]')).to_contain_text("待确认")
        expect(sides.locator('[data-role="buyer"]')).to_contain_text("已确认")
        _no_horizontal_scroll(seller_page, width)
        seller_page.screenshot(
            path=str(artifacts_dir / f"joint-{device}-1-seller.png"), full_page=False
        )
        with seller_page.expect_navigation():
            seller_page.click("#confirm-joint button")
        expect(seller_page.locator(".flash")).to_contain_text("已确认")
        expect(sides.locator('[data-role="seller"]')).to_contain_text("已确认")
        assert seller_page.locator("#confirm-joint").count() == 0

        window = login("window", DEMO_PASSWORD)
        window.goto(live_server(f"/clerk/cases/{case_no}"))
        desk = window.locator("#joint-application")
        expect(desk.locator('[data-role="seller"]')).to_contain_text(
            re.compile(f"{seller['name']}（已确认）")
        )
        _no_horizontal_scroll(window, width)
        window.screenshot(path=str(artifacts_dir / f"joint-{device}-2-desk.png"), full_page=False)
    finally:
        for context in contexts:
            context.close()
