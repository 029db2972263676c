"""The service network: service points, 同城通办 (points on the case, inbox by point,
材料流转单) and 帮办代办 (who acted for whom, with and without the party's account)."""

from __future__ import annotations

import io

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from webapp.models import (
    AuditEvent,
    Case,
    Instrument,
    MaterialFile,
    MaterialTransfer,
    OutboxMessage,
    ServicePoint,
    User,
)

from .conftest import enterprise_answers, form_fields

THEME = "enterprise-opening"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
# The sample's applicant 张三 (its ID number and mobile), acted for at the window.
ZHANGSAN_ID, ZHANGSAN_MOBILE = "441302199203050028", "13712345678"
APPROVERS = ("samr", "psb", "tax", "hrss", "hf")


def _point(session, code: str) -> ServicePoint:
    return session.scalars(select(ServicePoint).where(ServicePoint.code == code)).one()


def _case(session, case_no: str) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _assist(client, *, mode="proxy", letter=True, consent=True, number=ZHANGSAN_ID,
            collection_point=None, answers=None):  # fmt: skip
    """Post the 帮办代办 form as a browser does (multipart, with the letter as a file)."""
    data = MultiDict(form_fields(answers or enterprise_answers()))
    data.add("csrf_token", client.csrf)
    data.add("mode", mode)
    data.add("party_kind", "person")
    data.add("party_name", "张三")
    data.add("party_number", number)
    data.add("party_mobile", ZHANGSAN_MOBILE)
    if consent:
        data.add("consent", "yes")
    if collection_point is not None:
        data.add("collection_point", str(collection_point))
    if letter:
        data.add("proxy_letter", (io.BytesIO(PDF), "授权委托书.pdf"))
    return client.client.post(
        f"/assist/apply/{THEME}", data=data, content_type="multipart/form-data"
    )


def _new_case_no(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return response.headers["Location"].rsplit("#case-", 1)[1]


def _tasks(client, **query):
    response = client.get("/api/tasks/", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _open_task(client, case_no):
    (task,) = [t for t in _tasks(client)["tasks"] if t["case_no"] == case_no]
    return task


def test_village_submits_town_accepts_county_delivers_with_transfer_slips(login, session):
    """代办 at a village station, 受理 at the town centre, approved, 出件 at the county hall;
    the paper travels with one 流转单 per department, each signed for with a receipt."""
    county, town, village = (_point(session, c) for c in ("BL-XZFW", "BL-YZ", "BL-YZ-LW"))
    daiban, yuanzhou, window = login("daiban"), login("yuanzhou"), login("window")

    case_no = _new_case_no(_assist(daiban, collection_point=county.id))
    case = _case(session, case_no)
    assert (case.submitted_point_id, case.collection_point_id) == (village.id, county.id)
    assert case.assistance == "proxy" and case.assisted_by.username == "daiban"

    accept = _open_task(yuanzhou, case_no)
    done = yuanzhou.post_json(f"/api/tasks/{accept['id']}/complete", {"opinion": "材料齐全"})
    assert done.status_code == 200, done.get_json()
    case = _case(session, case_no)
    assert case.accepted_point_id == town.id

    # The five papers, received by the 代办员 at the village, each sent on from there to
    # the departments whose items ask for it.
    slips = list(
        session.scalars(select(MaterialTransfer).where(MaterialTransfer.case_id == case.id))
    )
    assert slips and {s.from_point_id for s in slips} == {village.id}
    by_department = {s.department.code: s for s in slips}
    assert "SAMR" in by_department
    assert all(s.received_at is None for s in slips)
    sent = {
        i.number: i.title
        for i in session.scalars(select(Instrument).where(Instrument.case_id == case.id))
    }
    assert all(sent[s.number] == "材料流转单" for s in slips)

    # Another department cannot sign for SAMR's slip; the front desk cannot either.
    samr_slip = by_department["SAMR"]
    for outsider in ("psb", "yuanzhou"):
        refused = login(outsider).post_form(f"/clerk/transfers/{samr_slip.id}/receive")
        assert refused.status_code in (404, 409)
    # The department sees it waiting, and signs.
    samr = login("samr")
    assert samr_slip.number in samr.get("/clerk/transfers").get_data(as_text=True)
    for code, slip in by_department.items():
        clerk = login(code.lower())
        signed = clerk.post_form(f"/clerk/transfers/{slip.id}/receive", {"note": "清点无误"})
        assert signed.status_code == 302, signed.get_data(as_text=True)[:800]
    again = samr.post_form(f"/clerk/transfers/{samr_slip.id}/receive")
    assert again.status_code == 409

    # Approvals, then 统一出件 at the county hall (where the applicant chose to collect).
    while True:
        open_items = [
            (name, t) for name in APPROVERS for t in _tasks(login(name))["tasks"]
            if t["case_no"] == case_no
        ]  # fmt: skip
        if not open_items:
            break
        for name, task in open_items:
            granted = login(name).post_json(
                f"/api/tasks/{task['id']}/complete",
                {"opinion": "同意", "result_no": "91441322MA5XXXXXX2" if name == "samr" else "N1"},
            )
            assert granted.status_code == 200, granted.get_json()
    delivery = _open_task(window, case_no)
    assert delivery["kind"] == "delivery"
    handed = window.post_json(
        f"/api/tasks/{delivery['id']}/complete", {"method": "post", "tracking_no": "EMS0001"}
    )
    assert handed.status_code == 200, handed.get_json()

    case = _case(session, case_no)
    assert case.status == "completed"
    assert (case.submitted_point_id, case.accepted_point_id, case.delivered_point_id) == (
        village.id,
        town.id,
        county.id,
    )
    slips = list(
        session.scalars(select(MaterialTransfer).where(MaterialTransfer.case_id == case.id))
    )
    assert all(s.received_at is not None and s.receipt_number for s in slips)
    receipts = session.scalars(
        select(Instrument).where(
            Instrument.case_id == case.id, Instrument.kind == "transfer_receipt"
        )
    ).all()
    assert len(receipts) == len(slips)
    assert "清点无误" in receipts[0].html
    actions = [
        e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))
    ]
    assert actions.count("material.transfer_sent") == len(slips)
    assert actions.count("material.transfer_received") == len(slips)
    assert "case.assisted" in actions
    # The clerk's case page tells the story: 代办 by whom, each slip signed.
    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "园洲镇刘屋村便民服务站" in page and "园洲镇便民服务中心" in page
    assert "刘代办（刘屋村）" in page and "授权委托书" in page
    assert page.count("已签收") == len(slips)


def test_acceptance_at_the_county_hall_sends_no_transfer_slip(login, submit_case, session):
    """The departments sit in the county hall: paper received there does not travel."""
    case_no = submit_case("zhangsan")["case_no"]
    window = login("window")
    task = _open_task(window, case_no)
    assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
    case = _case(session, case_no)
    assert case.accepted_point_id == _point(session, "BL-XZFW").id
    assert case.submitted_point_id is None  # 网上申请
    count = select(func.count()).select_from(MaterialTransfer)
    assert session.scalar(count.where(MaterialTransfer.case_id == case.id)) == 0


def test_the_inbox_puts_the_point_s_cases_first_then_the_pool(login, submit_case, session):
    online = [submit_case("zhangsan")["case_no"] for _ in range(2)]
    # Handed in last (so due last), at the town centre: still first in its own inbox.
    at_town = _new_case_no(_assist(login("yuanzhou"), mode="help", letter=False))
    yuanzhou, longxi = login("yuanzhou"), login("longxi")

    listed = [t["case_no"] for t in _tasks(yuanzhou)["tasks"]]
    assert listed.index(at_town) < min(listed.index(n) for n in online)
    mine = [t["case_no"] for t in _tasks(yuanzhou, view="point")["tasks"]]
    pool = [t["case_no"] for t in _tasks(yuanzhou, view="pool")["tasks"]]
    assert at_town in mine and not set(online) & set(mine)
    assert set(online) <= set(pool) and at_town not in pool
    counts = _tasks(yuanzhou)["counts"]
    assert counts["point"] + counts["pool"] == counts["all"]

    # Another town sees that case in its pool, after its own (none), and may take it.
    other = [t["case_no"] for t in _tasks(longxi)["tasks"]]
    assert other.index(at_town) > other.index(online[0])
    assert at_town in [t["case_no"] for t in _tasks(longxi, view="pool")["tasks"]]
    task = _open_task(longxi, at_town)
    assert longxi.post_json(f"/api/tasks/{task['id']}/claim").status_code == 200

    page = yuanzhou.get("/clerk/?view=point").get_data(as_text=True)
    assert "本服务点" in page and "通办池" in page and at_town in page


def test_help_for_a_registered_person_lands_in_their_own_account(register, login, session):
    """帮办: the person is present; the case is their own (they follow, correct, rate it)."""
    person = register("张三", ZHANGSAN_ID, ZHANGSAN_MOBILE)
    case_no = _new_case_no(_assist(login("yuanzhou"), mode="help", letter=False))
    case = _case(session, case_no)
    owner = session.get(User, case.applicant_id)
    assert owner.username == ZHANGSAN_MOBILE
    assert case.assistance == "help" and case.assisted_by.username == "yuanzhou"
    assert (
        session.scalar(
            select(func.count()).select_from(MaterialFile).where(MaterialFile.case_id == case.id)
        )
        == 0
    )  # no letter for 帮办
    home = person.get("/applicant/").get_data(as_text=True)
    assert case_no in home
    page = person.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "黄窗口" not in page  # another town's clerk has nothing to do with it
    assert "周窗口（园洲镇）" in page and "帮办" in page
    assert "撤回申请" in page  # their own case: they may withdraw it
    receipt = session.scalars(
        select(Instrument).where(Instrument.case_id == case.id, Instrument.kind == "receipt")
    ).one()
    assert "张三" in receipt.html and "园洲镇便民服务中心" in receipt.html
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.assisted"
        )
    ).one()
    assert event.after["consent"] is True and event.after["owner"] == "party_account"
    assert ZHANGSAN_ID not in str(event.after) and ZHANGSAN_MOBILE not in str(event.after)


def test_proxy_without_an_account_is_held_by_the_staff_member(login, session):
    """代办 for a person without an account: the 代办员 holds the case, with the letter."""
    daiban = login("daiban")
    case_no = _new_case_no(_assist(daiban))
    case = _case(session, case_no)
    assert session.get(User, case.applicant_id).username == "daiban"
    # Kept as the catalog's 授权委托书 (企业设立登记 asks it of whoever acts for another).
    (letter,) = session.scalars(select(MaterialFile).where(MaterialFile.case_id == case.id))
    assert letter.material_code == "CL-SQWTS"
    assert [(p.role, p.party.number) for p in case.parties if p.role == "applicant"] == [
        ("applicant", ZHANGSAN_ID)
    ]
    # The party is told by SMS at the mobile given at the window; the 代办员 is not.
    told = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    assert [(m.event, m.channel, m.mobile) for m in told] == [("received", "sms", ZHANGSAN_MOBILE)]
    assert "张*" in told[0].body and ZHANGSAN_ID not in told[0].body
    # The paper is received where it was handed in, by the 代办员.
    received = {
        e.after["material"]
        for e in session.scalars(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "material.paper_received"
            )
        )
        if e.actor_id == case.assisted_by_id
    }
    assert len(received) == 5
    # The 代办员 finds it with its receipt, and may open the letter; so may the department
    # whose item asks for it; another 代办员 and an uninvolved approver may not.
    home = daiban.get("/assist/").get_data(as_text=True)
    assert case_no in home and "申请材料接收凭证" in home
    assert daiban.get(f"/materials/{letter.id}").status_code == 200
    assert login("window").get(f"/materials/{letter.id}").status_code == 200
    assert login("daiban2").get(f"/materials/{letter.id}").status_code == 404
    assert login("fire").get(f"/materials/{letter.id}").status_code == 404


def test_a_registered_person_s_proxy_case_is_theirs(register, login, session):
    person = register("张三", ZHANGSAN_ID, ZHANGSAN_MOBILE)
    case_no = _new_case_no(_assist(login("daiban")))
    case = _case(session, case_no)
    assert session.get(User, case.applicant_id).username == ZHANGSAN_MOBILE
    assert case.assistance == "proxy"
    page = person.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "代办" in page and "授权委托书" in page


def test_bad_assistance_is_refused_in_chinese_and_keeps_what_was_typed(login, session):
    daiban = login("daiban")
    before = session.scalar(select(func.count()).select_from(Case))
    no_letter = _assist(daiban, letter=False)
    assert no_letter.status_code == 422
    assert "代办须上传委托人签署的授权委托书" in no_letter.get_data(as_text=True)
    no_consent = _assist(daiban, mode="help", letter=False, consent=False)
    assert no_consent.status_code == 422
    assert "请确认当事人本人在场并同意" in no_consent.get_data(as_text=True)
    bad_id = _assist(daiban, number="441302199203050029")
    assert bad_id.status_code == 422
    text = bad_id.get_data(as_text=True)
    assert "身份证号码有误" in text and "博罗县青禾餐饮管理有限公司" in text  # kept
    # Someone else than the person the form names: refused.
    other = _assist(daiban, number="11010519491231002X")
    assert other.status_code == 422
    assert "与帮办代办的当事人证件号码不一致" in other.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_the_applicant_picks_where_to_collect(login, session):
    town = _point(session, "BL-LX")
    zhangsan = login("zhangsan")
    form = zhangsan.get(f"/applicant/apply/{THEME}?step=form&housing_fund.needed=true")
    page = form.get_data(as_text=True)
    assert "领取结果的服务点" in page and town.address in page and town.phone in page
    data = form_fields(enterprise_answers()) + [("collection_point", str(town.id))]
    posted = zhangsan.post_form(f"/applicant/apply/{THEME}", data)
    assert posted.status_code == 302, posted.get_data(as_text=True)[:800]
    case_no = posted.headers["Location"].rsplit("/", 1)[1]
    assert _case(session, case_no).collection_point_id == town.id
    shown = zhangsan.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "龙溪街道便民服务中心" in shown
    # A point that does not exist: the form comes back with what was typed.
    bad = zhangsan.post_form(
        f"/applicant/apply/{THEME}",
        form_fields(enterprise_answers()) + [("collection_point", "999999")],
    )
    assert bad.status_code == 422
    assert "请选择一个正在办公的服务点" in bad.get_data(as_text=True)


def test_access_of_each_role(login, session):
    """帮代办员: assist only; admins keep the tree; the tree's shape is enforced."""
    daiban = login("daiban")
    assert daiban.get("/assist/").status_code == 200
    # The guidance questions lead on to the 帮办代办 form, not the applicant's.
    guide = daiban.get(f"/assist/apply/{THEME}").get_data(as_text=True)
    assert f'action="/assist/apply/{THEME}"' in guide
    assert daiban.get("/clerk/").status_code == 403
    assert daiban.get("/applicant/").status_code == 403
    assert daiban.get("/admin/service-points").status_code == 403
    assert login("samr").get("/assist/").status_code == 403
    assert login("zhangsan").post_form(f"/assist/apply/{THEME}").status_code == 403
    case_no = _new_case_no(_assist(daiban))
    receipt = session.scalars(
        select(Instrument.number)
        .join(Case, Case.id == Instrument.case_id)
        .where(Case.case_no == case_no, Instrument.kind == "receipt")
    ).one()
    assert daiban.get(f"/instruments/{receipt}").status_code == 200
    assert login("daiban2").get(f"/instruments/{receipt}").status_code == 404

    admin = login("admin")
    town = _point(session, "BL-YZ")
    point = {
        "code": "BL-YZ-XN", "name": "园洲镇下南村便民服务站", "level": "village",
        "address": "园洲镇下南村村委会", "hours": "周一至周五 9:00-17:00", "phone": "0752-6710000",
    }  # fmt: skip
    wrong = admin.post_form("/admin/service-points", {**point, "parent_id": ""})
    assert wrong.status_code == 422
    assert "上级应为" in wrong.get_data(as_text=True)
    made = admin.post_form("/admin/service-points", {**point, "parent_id": str(town.id)})
    assert made.status_code == 302
    new = _point(session, "BL-YZ-XN")
    placed = admin.post_form(f"/admin/service-points/{new.id}/staff", {"username": "daiban2"})
    assert placed.status_code == 302
    session.expire_all()
    assert (
        session.scalars(select(User).where(User.username == "daiban2")).one().service_point().code
        == "BL-YZ-XN"
    )
    refused = admin.post_form(f"/admin/service-points/{new.id}/staff", {"username": "samr"})
    assert refused.status_code == 422
    tree = admin.get("/admin/service-points").get_data(as_text=True)
    assert tree.index("园洲镇便民服务中心") < tree.index("园洲镇下南村便民服务站")


def test_pages_of_the_inbox_run_through_the_point_then_the_pool(login, submit_case, session):
    """Keyset pages carry the rank: each task once, the point's before the pool's."""
    from webapp.workbench import inbox

    online = [submit_case("zhangsan")["case_no"] for _ in range(2)]
    at_town = _new_case_no(_assist(login("yuanzhou"), mode="help", letter=False))
    clerk = session.scalars(select(User).where(User.username == "yuanzhou")).one()
    seen, after = [], None
    while True:
        page = inbox.inbox(session, clerk, limit=1, after=inbox.parse_cursor(after))
        seen += [t.case.case_no for t in page.tasks]
        if page.next_after is None:
            break
        assert page.next_after.count("|") == 2
        after = page.next_after
    assert len(seen) == len(set(seen))
    assert seen.index(at_town) < min(seen.index(n) for n in online)
    assert inbox.parse_cursor("2026-01-01T00:00:00+00:00|5|7") is None
