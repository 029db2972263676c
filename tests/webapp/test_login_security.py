"""Logins: throttled per account and per address (in the database, so across processes),
the same work for unknown names, sessions that end on the server, password change and
reset that end the other sessions."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from webapp.accounts import sessions
from webapp.accounts.users import DEMO_PASSWORD
from webapp.models import AuditEvent, LoginSession, RateLimitWindow, User
from webapp.rate_limits import limiter


def _login_page(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _try(client, username, password, address="10.0.0.1"):
    token = _login_page(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_wrong_passwords_lock_the_account_for_a_while(app, db, session):
    client = app.test_client()
    for _ in range(limiter.LOGIN_PER_ACCOUNT.max_hits):
        assert _try(client, "lisi", "wrong-password").status_code == 401
    refused = _try(client, "lisi", DEMO_PASSWORD)
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    # Another account from the same address is not locked by lisi's failures.
    assert _try(app.test_client(), "zhangsan", DEMO_PASSWORD).status_code == 302
    # Once the window has passed, the right password works again.
    session.execute(
        update(RateLimitWindow).values(
            window_start=dt.datetime.now(dt.UTC) - limiter.LOGIN_PER_ACCOUNT.window
        )
    )
    session.commit()
    assert _try(client, "lisi", DEMO_PASSWORD).status_code == 302


def test_one_address_spraying_many_names_is_stopped(app, db, monkeypatch):
    # The real limit is 50 per quarter hour; 4 keeps the test short, the rule is the same.
    monkeypatch.setattr(
        limiter,
        "LOGIN_PER_ADDRESS",
        limiter.Limit("login-address", 4, dt.timedelta(minutes=15), "登录失败次数过多"),
    )
    client = app.test_client()
    for i in range(limiter.LOGIN_PER_ADDRESS.max_hits):
        assert _try(client, f"nobody{i}", "x", address="10.9.9.9").status_code == 401
    assert _try(client, "zhangsan", DEMO_PASSWORD, address="10.9.9.9").status_code == 429
    assert _try(client, "zhangsan", DEMO_PASSWORD, address="10.9.9.8").status_code == 302


def test_unknown_and_known_names_cost_one_password_hash_each(app, db, monkeypatch):
    sessions.password_matches(None, "warm-up")  # the dummy hash is made once per process
    calls = []
    real = sessions.check_password_hash
    monkeypatch.setattr(
        sessions, "check_password_hash", lambda *a: calls.append(a[0][:6]) or real(*a)
    )
    for username in ("zhangsan", "no-such-user"):
        calls.clear()
        assert _try(app.test_client(), username, "wrong-password").status_code == 401
        assert len(calls) == 1, username
        assert calls[0].startswith("scrypt")  # the same method and cost for both


def test_a_copied_cookie_stops_working_at_logout(app, db, login):
    zhangsan = login("zhangsan")
    stolen = zhangsan.client.get_cookie("session").value
    assert zhangsan.get("/api/themes/").status_code == 200
    assert zhangsan.post_form("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/api/themes/").status_code == 401
    assert thief.get("/applicant/").status_code == 302


def test_a_password_change_ends_the_other_sessions_only(app, db, login, session):
    laptop, phone = login("lisi"), login("lisi")
    response = laptop.post_form(
        "/account/password",
        {
            "current_password": DEMO_PASSWORD,
            "new_password": "a-new-password-2026",
            "confirm_password": "a-new-password-2026",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert laptop.get("/applicant/").status_code == 200
    assert phone.get("/applicant/").status_code == 302  # sent to log in again
    assert _try(app.test_client(), "lisi", "a-new-password-2026").status_code == 302
    assert _try(app.test_client(), "lisi", DEMO_PASSWORD).status_code == 401
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "user.password_changed" in actions


def test_a_wrong_current_password_changes_nothing(login):
    response = login("lisi").post_form(
        "/account/password",
        {"current_password": "x", "new_password": "b" * 12, "confirm_password": "b" * 12},
    )
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_an_admin_reset_ends_every_session_and_shows_the_password_once(app, login, session):
    lisi = login("lisi")
    admin = login("admin")
    user = session.scalars(select(User).where(User.username == "lisi")).one()
    assert admin.post_form(f"/admin/users/{user.id}/reset-password").status_code == 302
    page = admin.get("/admin/users").get_data(as_text=True)
    temporary = re.search(r"的临时密码：<code>([^<]+)</code>", page).group(1)
    assert "临时密码" not in admin.get("/admin/users").get_data(as_text=True)  # once
    assert lisi.get("/applicant/").status_code == 302
    assert _try(app.test_client(), "lisi", temporary).status_code == 302
    ended = session.scalars(
        select(LoginSession.ended_why).where(LoginSession.user_id == user.id)
    ).all()
    assert "reset" in ended
