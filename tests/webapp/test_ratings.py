"""好差评: the applicant rates each decided item and the 办结 case once; a 差评 reaches the
lead department as a 整改 task with a deadline; its reply reaches the applicant, who may
rate once more; the figures (评价率, 满意率, 差评整改率) count it all."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.deadlines import sweep as deadline_sweep
from webapp.models import AuditEvent, CaseTask, OutboxMessage, Rating
from webapp.ratings import figures
from webapp.ratings.figures import figures_of

from .test_case_workflow import _act, _case
from .test_delivery_choice import delivery_task

BAD = {"scope": "case", "level": "dissatisfied", "tags": ["多次跑动"], "comment": "跑了三次窗口"}


def completed_case(login, submit_case, session) -> str:
    case_no, window, task = delivery_task(login, submit_case, session)
    _act(window, task["id"], {"action": "deliver", "tracking_no": "EMS1234567890"})
    assert _case(session, case_no).status == "completed"
    return case_no


def rate(client, case_no, data, status=302):
    response = client.post_form(
        f"/applicant/cases/{case_no}/ratings", data={**data, "csrf_token": client.csrf}
    )
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def page(client, case_no) -> str:
    return client.get(f"/applicant/cases/{case_no}").get_data(as_text=True)


def rectification(session, case_no) -> CaseTask:
    case = _case(session, case_no)
    return session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.kind == "rectification")
    ).one()


def test_bad_rating_goes_through_rectification_and_one_rerating(login, submit_case, session):
    case_no = completed_case(login, submit_case, session)
    zhangsan = login("zhangsan")
    html = page(zhangsan, case_no)
    # One form per decided item and one for the whole case.
    assert html.count('class="rating-form"') == 5 and "整体服务（一件事）" in html

    rate(zhangsan, case_no, BAD)
    html = page(zhangsan, case_no)
    assert "不满意" in html and "跑了三次窗口" in html
    assert 'id="rectification-open-case"' in html
    assert "您的评价已转牵头部门整改" in html and "您评价了“整体服务（一件事）”：不满意" in html
    # Not twice, not before the reply.
    again = rate(zhangsan, case_no, {"scope": "case", "level": "satisfied"}, status=409)
    assert "正在整改" in again.get_data(as_text=True)

    task = rectification(session, case_no)
    assert task.department.code == "SAMR" and task.status == "open"
    assert f"您的差评已转{task.department.name}整改" in html
    assert task.allowed_days == Decimal(15) and task.due_at > task.created_at + dt.timedelta(
        days=15
    )
    samr = login("samr")
    inbox = samr.get("/api/tasks/?view=all").get_json()["tasks"]
    assert any(t["id"] == task.id and t["kind"] == "rectification" for t in inbox)
    task_page = samr.get(f"/clerk/tasks/{task.id}").get_data(as_text=True)
    assert 'id="rectify-form"' in task_page and "跑了三次窗口" in task_page

    # Every part of the 整改 is needed.
    missing = samr.post_form(
        f"/clerk/tasks/{task.id}",
        data={"action": "rectify", "contact": "电话联系", "csrf_token": samr.csrf},
    )
    assert missing.status_code == 422
    samr.post_form(
        f"/clerk/tasks/{task.id}",
        data={
            "action": "rectify",
            "contact": "11月20日电话联系申请人",
            "finding": "窗口未一次性告知材料要求",
            "correction": "已对窗口人员培训并更新告知单",
            "reply": "您反映的多次跑动问题属实，我们已整改，感谢监督",
            "csrf_token": samr.csrf,
        },
    )
    assert rectification(session, case_no).status == "completed"
    replied = [
        m
        for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "rating_replied")
        )
        if m.case_id == _case(session, case_no).id
    ]
    assert replied and "整改答复" in replied[0].title

    html = page(zhangsan, case_no)
    assert "您反映的多次跑动问题属实" in html and "再评价（仅一次）" in html
    rate(zhangsan, case_no, {"scope": "case", "level": "satisfied", "comment": "整改及时"})
    html = page(zhangsan, case_no)
    assert "再评价：<strong>满意" in html
    assert "再评价（仅一次）" not in html
    # A second re-rating is refused; a satisfied re-rating opens no new 整改.
    rate(zhangsan, case_no, {"scope": "case", "level": "very_satisfied"}, status=409)
    assert rectification(session, case_no).status == "completed"

    case = _case(session, case_no)
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)))
    assert actions.count("rating.given") == 2 and "rating.rectified" in actions
    # Staff read ratings on the case page; nothing there changes them.
    staff_page = samr.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "整改：已答复" in staff_page and "/ratings" not in staff_page


def test_items_are_rated_apart_and_good_ratings_open_nothing(login, submit_case, session):
    case_no = completed_case(login, submit_case, session)
    zhangsan = login("zhangsan")
    item = next(t for t in _case(session, case_no).tasks if t.kind == "item")
    rate(
        zhangsan,
        case_no,
        {"scope": item.item_code, "level": "very_satisfied", "tags": ["一次办成"]},
    )
    rate(zhangsan, case_no, {"scope": item.item_code, "level": "satisfied"}, status=409)
    rows = session.scalars(select(Rating).where(Rating.case_id == item.case_id)).all()
    assert [(r.scope, r.level, r.tags) for r in rows] == [
        (item.item_code, "very_satisfied", ["一次办成"])
    ]
    assert not [t for t in _case(session, case_no).tasks if t.kind == "rectification"]


def test_a_bad_rating_needs_a_reason_and_an_unknown_level_is_refused(login, submit_case, session):
    case_no = completed_case(login, submit_case, session)
    zhangsan = login("zhangsan")
    bare = rate(zhangsan, case_no, {"scope": "case", "level": "very_dissatisfied"}, status=422)
    assert "差评请选择问题标签或填写意见" in bare.get_data(as_text=True)
    rate(zhangsan, case_no, {"scope": "case", "level": "terrible"}, status=422)
    rate(zhangsan, case_no, {"scope": "case", "level": "satisfied", "tags": ["好"]}, status=422)
    assert session.scalars(select(Rating)).all() == []


def test_nothing_to_rate_before_a_decision_nor_for_someone_else(login, submit_case, session):
    case_no = submit_case()["case_no"]
    zhangsan = login("zhangsan")
    assert 'id="ratings"' not in page(zhangsan, case_no)
    refused = rate(zhangsan, case_no, {"scope": "case", "level": "satisfied"}, status=422)
    assert "尚未办结" in refused.get_data(as_text=True)
    rate(login("lisi"), case_no, {"scope": "case", "level": "satisfied"}, status=404)


def test_an_unanswered_rectification_turns_red_after_its_deadline(login, submit_case, session):
    case_no = completed_case(login, submit_case, session)
    rate(login("zhangsan"), case_no, BAD)
    task = rectification(session, case_no)
    case = _case(session, case_no)
    assert case.next_check_at is not None and case.next_check_at <= task.yellow_at
    deadline_sweep.sweep_due_cases(session, now=task.due_at + dt.timedelta(minutes=1))
    task = rectification(session, case_no)
    assert task.card == "red"
    html = login("samr").get(f"/clerk/tasks/{task.id}").get_data(as_text=True)
    assert re.search(r'card-flag card-red">红牌', html)


def test_figures_with_real_numbers():
    # Four finished cases; three rated. Case 1: 差评 then 整改 replied, re-rated 满意.
    # Case 2: an item 非常满意 and the case 基本满意. Case 3: 非常不满意, 整改 still open.
    rows = [
        (1, "case", 1, "dissatisfied", "completed"),
        (1, "case", 2, "satisfied", None),
        (2, "ITEM_A", 1, "very_satisfied", None),
        (2, "case", 1, "basic", None),
        (3, "case", 1, "very_dissatisfied", "open"),
        (9, "case", 1, "satisfied", None),  # a case not finished does not count as rated
    ]
    result = figures_of({1, 2, 3, 4}, rows)
    assert result.evaluation_rate == Decimal("75.0")  # 3 of 4
    assert result.satisfaction_rate == Decimal("80.0")  # 4 of 5 counted ratings
    assert result.rectification_rate == Decimal("50.0")  # 1 of 2 差评
    empty = figures_of(set(), [])
    assert (empty.evaluation_rate, empty.satisfaction_rate, empty.rectification_rate) == (
        None,
        None,
        None,
    )


def test_figures_from_the_database(login, submit_case, session):
    case_no = completed_case(login, submit_case, session)
    rate(login("zhangsan"), case_no, BAD)
    result = figures.rating_figures(session)
    assert result.rated_cases == 1 and result.bad_ratings == 1 and result.rectified == 0
    assert result.satisfaction_rate == Decimal("0.0") and result.rectification_rate == Decimal(
        "0.0"
    )


@pytest.mark.parametrize("who", ["samr", "window"])
def test_staff_cannot_rate(login, submit_case, session, who):
    case_no = completed_case(login, submit_case, session)
    client = login(who)
    response = client.post_form(
        f"/applicant/cases/{case_no}/ratings",
        data={"scope": "case", "level": "satisfied", "csrf_token": client.csrf},
    )
    assert response.status_code == 403


def test_the_rectification_deadline_is_a_setting(app, login, submit_case, session, monkeypatch):
    monkeypatch.setitem(app.config, "RECTIFICATION_DAYS", 5)
    case_no = completed_case(login, submit_case, session)
    rate(login("zhangsan"), case_no, BAD)
    assert rectification(session, case_no).allowed_days == Decimal(5)
