"""好差评 in Chromium: the applicant rates a 办结 case 不满意, 市场监管局 (the lead
department) handles the 整改 from its inbox, the applicant reads the reply and re-rates.
Screenshots (390 px and desktop) go to test-artifacts/."""

from __future__ import annotations


def _completed_case(
    live_server, licence_no: str = "91441322MA4W3Q5K1J", applicant: str = "zhangsan"
) -> str:
    """A 企业开办 case (no 公积金) of `applicant` accepted, granted and handed out, over the
    API; SAMR's 营业执照 is numbered `licence_no`."""
    from tests.conftest import UserClient
    from tests.webapp.conftest import enterprise_answers
    from webapp.accounts.users import DEMO_PASSWORD

    def client(name):
        return UserClient(live_server.app.test_client(), name).login(DEMO_PASSWORD)

    def act(user, case_no, payload):
        tasks = [t for t in user.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no]
        response = user.post_json(f"/api/tasks/{tasks[0]['id']}/complete", payload)
        assert response.status_code == 200, response.get_json()

    created = client(applicant).post_json(
        "/api/cases/",
        {"theme": "enterprise-opening", "answers": enterprise_answers(housing_fund=False)},
    )
    assert created.status_code == 201, created.get_json()
    case_no = created.get_json()["case_no"]
    window = client("window")
    act(window, case_no, {"action": "accept", "opinion": "予以受理"})
    for name in ("samr", "psb", "tax", "hrss"):
        number = licence_no if name == "samr" else ""
        act(client(name), case_no, {"action": "grant", "opinion": "同意", "result_no": number})
    act(window, case_no, {"action": "deliver", "tracking_no": "EMS1234567890"})
    return case_no


def test_bad_rating_rectified_and_re_rated(live_server, login_page, artifacts_dir):
    case_no = _completed_case(live_server)

    applicant = login_page("zhangsan")
    applicant.goto(live_server(f"/applicant/cases/{case_no}"))
    whole = applicant.locator("#rating-case")
    whole.locator("summary", has_text="去评价").click()
    whole.locator("input[name=level][value=dissatisfied]").check()
    whole.locator("input[name=tags][value=多次跑动]").check()
    whole.locator("textarea[name=comment]").fill("窗口没有一次说清要带的材料")
    applicant.set_viewport_size({"width": 390, "height": 844})
    whole.screenshot(path=str(artifacts_dir / "rating-form-390.png"))
    applicant.set_viewport_size({"width": 1400, "height": 900})
    with applicant.expect_navigation():
        whole.get_by_role("button", name="提交评价").click()
    assert "牵头部门将与您联系并整改" in applicant.locator(".flash").inner_text()
    assert "整改" in applicant.locator("#rectification-open-case").inner_text()

    samr = login_page("samr")
    samr.goto(live_server("/clerk/"))
    row = samr.locator(f"#inbox tr:has-text('{case_no}')", has_text="差评整改")
    row.get_by_role("link", name="办理").click()
    form = samr.locator("#rectify-form")
    assert "窗口没有一次说清" in samr.locator("#bad-rating").inner_text()
    form.locator("textarea[name=contact]").fill("电话联系申请人，了解情况")
    form.locator("textarea[name=finding]").fill("窗口未使用一次性告知单")
    form.locator("textarea[name=correction]").fill("已培训窗口人员并启用告知单")
    form.locator("textarea[name=reply]").fill("您反映的问题属实，我们已整改，感谢您的监督")
    samr.screenshot(path=str(artifacts_dir / "rating-rectify-desktop.png"), full_page=True)
    with samr.expect_navigation():
        form.get_by_role("button", name="提交整改答复").click()
    assert "整改答复" in samr.locator(".flash").inner_text()

    applicant.goto(live_server(f"/applicant/cases/{case_no}"))
    reply = applicant.locator("#rectification-reply-case")
    assert "您反映的问题属实" in reply.inner_text()
    applicant.screenshot(path=str(artifacts_dir / "rating-reply-desktop.png"), full_page=True)
    applicant.set_viewport_size({"width": 390, "height": 844})
    applicant.locator("#ratings").screenshot(path=str(artifacts_dir / "rating-reply-390.png"))
    whole = applicant.locator("#rating-case")
    whole.locator("input[name=level][value=satisfied]").check()
    with applicant.expect_navigation():
        whole.get_by_role("button", name="提交评价").click()
    assert "再评价：满意" in applicant.locator("#rating-case").inner_text()
    assert applicant.locator("#rating-case form").count() == 0
