"""Applicants register themselves: real name, ID number, and a mobile proven by a one-time
code sent through the notification outbox; the one rate limiter guards code requests; a
forgotten password is reset by the same channel; the profile fills the forms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from tests.conftest import UserClient, _csrf_from
from webapp.models import OneTimeCode, OutboxMessage, User

from .conftest import PASSWORD, last_code_sent_to

PERSON = {"name": "陈志明", "id_number": "441322199305170114", "mobile": "13902345678"}


def _anonymous(app):
    client = app.test_client()
    return client, _csrf_from(client.get("/register").get_data(as_text=True))


def _ask_code(client, csrf, **person):
    return client.post("/register/code", data={**PERSON, **person, "csrf_token": csrf})


def _finish(client, csrf, code, **person):
    data = {**PERSON, **person, "code": code, "password": PASSWORD, "confirm_password": PASSWORD}
    return client.post("/register", data={**data, "csrf_token": csrf})


def test_register_with_the_code_then_log_in_with_the_mobile(app, session):
    client, csrf = _anonymous(app)
    sent = _ask_code(client, csrf)
    assert sent.status_code == 200
    assert "验证码已发送" in sent.get_data(as_text=True)
    # Sent at once, not at the worker's next round.
    (text,) = session.scalars(select(OutboxMessage).where(OutboxMessage.mobile == PERSON["mobile"]))
    assert text.status == "sent"
    code = last_code_sent_to(app, session, PERSON["mobile"])
    done = _finish(client, csrf, code)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    user = session.scalars(select(User).where(User.username == PERSON["mobile"])).one()
    assert user.display_name == "陈志明" and user.mobile_verified_at is not None
    # Only a hash of the code is kept.
    assert all(code not in row.code_hash for row in session.scalars(select(OneTimeCode)))
    applicant = UserClient(app.test_client(), PERSON["mobile"]).login(PASSWORD)
    profile = applicant.get("/account/profile").get_data(as_text=True)
    assert "441322********0114" in profile and "139****5678" in profile
    # The code works once.
    again, csrf2 = _anonymous(app)
    assert _finish(again, csrf2, code).status_code in (409, 422)


def test_a_wrong_code_is_refused_and_five_wrong_tries_kill_it(app, session):
    client, csrf = _anonymous(app)
    _ask_code(client, csrf)
    code = last_code_sent_to(app, session, PERSON["mobile"])
    wrong = "000000" if code != "000000" else "111111"
    refused = _finish(client, csrf, wrong)
    assert refused.status_code == 422
    assert "验证码错误" in refused.get_data(as_text=True)
    for _ in range(4):
        _finish(client, csrf, wrong)
    # The right code no longer helps: a guesser had five tries, not a million.
    dead = _finish(client, csrf, code)
    assert dead.status_code == 422
    assert "错误次数过多" in dead.get_data(as_text=True)
    assert session.scalars(select(User).where(User.username == PERSON["mobile"])).first() is None


def test_an_expired_code_is_refused(app, session):
    client, csrf = _anonymous(app)
    _ask_code(client, csrf)
    code = last_code_sent_to(app, session, PERSON["mobile"])
    # The code was sent eleven minutes ago: past its ten.
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.mobile == PERSON["mobile"])
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    session.commit()
    expired = _finish(client, csrf, code)
    assert expired.status_code == 422
    assert "验证码已过期" in expired.get_data(as_text=True)


def test_code_requests_are_throttled(app, session):
    client, csrf = _anonymous(app)
    assert _ask_code(client, csrf).status_code == 200
    again = _ask_code(client, csrf)
    assert again.status_code == 429
    assert "1 分钟后" in again.get_data(as_text=True)
    # Exactly one text went out for the two requests.
    sms = session.scalars(
        select(OutboxMessage).where(OutboxMessage.mobile == PERSON["mobile"])
    ).all()
    assert len(sms) == 1


def test_many_numbers_from_one_address_are_throttled_too(app, session):
    client, csrf = _anonymous(app)
    answers = [_ask_code(client, csrf, mobile=f"1370000{i:04d}").status_code for i in range(21)]
    assert answers[:20] == [200] * 20
    assert answers[20] == 429


def test_a_taken_mobile_or_id_number_is_refused_before_any_code(register, app, session):
    register(**{"name": PERSON["name"], "id_number": PERSON["id_number"], "mobile": "13902345678"})
    client, csrf = _anonymous(app)
    taken = _ask_code(client, csrf, mobile="13600000000")
    assert taken.status_code == 409
    assert "该身份证号已实名注册" in taken.get_data(as_text=True)
    assert _ask_code(client, csrf, id_number="11010519491231002X").status_code == 409


def test_a_bad_id_number_is_refused(app):
    client, csrf = _anonymous(app)
    bad = _ask_code(client, csrf, id_number="441322199305170115")
    assert bad.status_code == 422
    assert "身份证号码有误" in bad.get_data(as_text=True)


def test_password_reset_by_sms_code(register, app, session):
    register(**PERSON)
    client = app.test_client()
    csrf = _csrf_from(client.get("/password-reset").get_data(as_text=True))
    sent = client.post(
        "/password-reset/code", data={"mobile": PERSON["mobile"], "csrf_token": csrf}
    )
    assert sent.status_code == 200
    code = last_code_sent_to(app, session, PERSON["mobile"])
    new = "a-brand-new-password-1"
    done = client.post(
        "/password-reset",
        data={
            "mobile": PERSON["mobile"],
            "code": code,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": csrf,
        },
    )
    assert done.status_code == 302
    UserClient(app.test_client(), PERSON["mobile"]).login(new)


def test_a_reset_for_an_unknown_mobile_sends_nothing_and_says_the_same(app, session):
    client = app.test_client()
    csrf = _csrf_from(client.get("/password-reset").get_data(as_text=True))
    answer = client.post("/password-reset/code", data={"mobile": "13500000000", "csrf_token": csrf})
    assert answer.status_code == 200
    assert "如该手机号已注册" in answer.get_data(as_text=True)
    assert (
        session.scalars(select(OutboxMessage).where(OutboxMessage.mobile == "13500000000")).first()
        is None
    )


def test_the_profile_fills_the_identity_fields_of_a_form(register):
    applicant = register(**PERSON)
    page = applicant.get(
        "/applicant/apply/newborn?step=form"
        "&newborn.medical_insurance=true&newborn.social_security_card=true"
    ).get_data(as_text=True)
    assert 'value="441322199305170114"' in page
    assert 'value="13902345678"' in page
    assert 'value="陈志明"' in page


def test_applicants_choose_their_channels(register, session):
    applicant = register(**PERSON)
    assert applicant.post_form("/account/profile", data={"channels": "in_app"}).status_code == 302
    user = session.scalars(select(User).where(User.username == PERSON["mobile"])).one()
    session.refresh(user)
    assert user.notify_channels == ["in_app"]
    refused = applicant.post_form("/account/profile", data={})
    assert refused.status_code == 422
    assert "至少选择一种" in refused.get_data(as_text=True)
