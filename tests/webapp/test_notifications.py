"""The notification outbox: written in the event's transaction, delivered by the worker at
least once with one idempotency key per message (in-app exactly once), SMS through the file
channel or an HTTP gateway (here a stub server on the loopback: 2xx, 5xx, 4xx, timeouts),
Chinese templates from editable files, personal data masked."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, select

from webapp import worker
from webapp.clock import now, today
from webapp.deadlines import sweep as deadline_sweep
from webapp.models import Case, Message, OutboxMessage, User
from webapp.notifications import delivery, outbox
from webapp.notifications.models import OutboxStatus
from webapp.notifications.sms import HttpSmsChannel, LogSmsChannel

# --- a stub SMS gateway -------------------------------------------------------------------


class StubGateway:
    """A local HTTP server answering each POST with the next planned status (200 when the
    plan is used up), after an optional delay; it records what it received."""

    def __init__(self):
        self.plan: list[int] = []
        self.delay = 0.0
        self.received: list[dict] = []
        self.release = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stub.received.append(
                    {"key": self.headers["Idempotency-Key"], "body": json.loads(body)}
                )
                if stub.delay:
                    stub.release.wait(stub.delay)
                status = stub.plan.pop(0) if stub.plan else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    stub = StubGateway()
    yield stub
    stub.close()


def _sms_row(session, app, mobile="13902345678", text="【一件事】测试短信") -> OutboxMessage:
    """One pending SMS, as `send_code` writes it."""
    with app.test_request_context():
        row = outbox.send_code(session, mobile, "123456", "注册", 10)
    session.commit()
    return row


# --- written with the event ---------------------------------------------------------------


def _case(session, case_no) -> Case:
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _rows(session, case_no, event=None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.case_id == _case(session, case_no).id)
    if event:
        stmt = stmt.where(OutboxMessage.event == event)
    # In the order they were written: without ORDER BY, PostgreSQL returns heap order.
    return list(session.scalars(stmt.order_by(OutboxMessage.id)))


def _acceptance_task(window, case_no: str) -> int:
    tasks = window.get("/api/tasks/").get_json()["tasks"]
    return next(t["id"] for t in tasks if t["case_no"] == case_no)


def test_events_are_written_with_their_transaction_and_only_then(login, submit_case, session):
    case_no = submit_case("zhangsan")["case_no"]
    assert [r.event for r in _rows(session, case_no)] == ["received"]
    window = login("window")
    task = _acceptance_task(window, case_no)
    # A refused action (materials not on the desk) rolls back: nobody is told anything.
    refused = window.post_json(
        f"/api/tasks/{task}/complete", {"action": "accept", "paper_received": []}
    )
    assert refused.status_code == 422
    assert _rows(session, case_no, "accepted") == []
    corrected = window.post_json(
        f"/api/tasks/{task}/actions/correct",
        {"fields": ["enterprise.name"], "materials": [], "note": "名称与核名不符"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    (row,) = _rows(session, case_no, "correction_requested")
    assert row.channel == "in_app" and row.status == OutboxStatus.PENDING
    assert "企业名称" in row.body and "名称与核名不符" in row.body
    assert row.key and len({r.key for r in _rows(session, case_no)}) == 2


def test_in_app_messages_are_delivered_exactly_once_with_an_unread_count(
    login, submit_case, session, app
):
    case_no = submit_case("zhangsan")["case_no"]
    channel = LogSmsChannel(app.config["SMS_LOG_FILE"])
    while delivery.deliver_next(session, channel):
        pass
    session.commit()
    (row,) = _rows(session, case_no)
    # Delivered again (as after a crash before the mark was committed): still one message.
    row.status = OutboxStatus.PENDING
    session.commit()
    assert delivery.deliver_next(session, channel)
    session.commit()
    assert len(session.scalars(select(Message).where(Message.key == row.key)).all()) == 1

    zhangsan = login("zhangsan")
    home = zhangsan.get("/applicant/").get_data(as_text=True)
    assert 'class="unread-count"' in home
    page = zhangsan.get("/messages/").get_data(as_text=True)
    assert f"申请已收到（{case_no}）" in page and "未读" in page
    # Another applicant's 消息 page does not show it.
    assert case_no not in login("lisi").get("/messages/").get_data(as_text=True)
    message = session.scalars(select(Message).where(Message.key == row.key)).one()
    opened = zhangsan.post_form(f"/messages/{message.id}/read")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(case_no)
    assert 'class="unread-count"' not in zhangsan.get("/applicant/").get_data(as_text=True)


def _act(client, task_id, payload):
    response = client.post_json(f"/api/tasks/{task_id}/complete", payload)
    assert response.status_code == 200, response.get_json()


def _task(client, case_no) -> int:
    return _acceptance_task(client, case_no)


def test_each_event_reaches_the_applicant(login, submit_case, session):
    """received → accepted (容缺) → 容缺 date near → each item's decision → result ready;
    and 不予受理 on another case."""
    case_no = submit_case("zhangsan", housing_fund=False)["case_no"]
    window = login("window")
    promised = (today() + dt.timedelta(days=1)).isoformat()
    _act(
        window,
        _task(window, case_no),
        {
            "action": "accept_with_gap",
            "gaps": [{"material": "CL-SQWTS", "promised_date": promised}],
        },
    )
    # The worker's sweep: the promised date is tomorrow, so it is near.
    deadline_sweep.sweep_due_cases(session, now() + dt.timedelta(minutes=1))
    session.commit()
    (near,) = _rows(session, case_no, "gap_due_soon")
    assert promised in near.body and "授权委托书" in near.body
    for name in ("samr", "psb", "tax", "hrss"):
        client = login(name)
        _act(
            client,
            _task(client, case_no),
            {"action": "grant", "opinion": "同意", "result_no": "91441322MA0000001W"},
        )
    events = [r.event for r in _rows(session, case_no)]
    assert events[:3] == ["received", "accepted", "gap_due_soon"]
    assert events.count("item_decided") == 4 and events[-1] == "result_ready"
    decided = [r.body for r in _rows(session, case_no, "item_decided")]
    assert any("企业设立登记" in b and "准予" in b for b in decided)

    other = submit_case("zhangsan")["case_no"]
    _act(window, _task(window, other), {"action": "refuse", "reason": "不属于本中心受理范围"})
    (refused,) = _rows(session, other, "refused")
    assert "不属于本中心受理范围" in refused.body


def test_sms_text_masks_personal_data_and_templates_are_editable_files(
    app, session, tmp_path, monkeypatch
):
    (tmp_path / "received.txt").write_text(
        "# 自定义\n标题：收到了 ${case_no}\n短信：${name}，证件 ${id}，电话 ${tel}\n正文：好的\n",
        encoding="utf-8",
    )
    monkeypatch.setitem(app.config, "NOTIFICATION_TEMPLATES_DIR", tmp_path)
    user = session.scalars(select(User).where(User.username == "lisi")).one()
    user.mobile, user.mobile_verified_at = "13902345678", now()
    session.flush()
    with app.test_request_context():
        rows = outbox.notify_user(
            session, "received", user, id="441322199305170114", tel="13902345678", case_no="X-1"
        )
    sms = next(r for r in rows if r.channel == "sms")
    assert sms.title == "收到了 X-1"
    assert sms.body == "李*，证件 441322********0114，电话 139****5678"
    assert sms.mobile == "13902345678"  # the address, not the text


# --- delivery: at least once, same key; two workers -----------------------------------------


def test_a_crash_between_send_and_mark_sends_again_with_the_same_key(app, session, gateway):
    row = _sms_row(session, app)
    channel = HttpSmsChannel(gateway.url, timeout=5)
    assert delivery.deliver_next(session, channel)
    session.rollback()  # the worker died before its commit: the gateway has the text
    assert session.get(OutboxMessage, row.id).status == OutboxStatus.PENDING
    assert delivery.deliver_next(session, channel)
    session.commit()
    assert [r["key"] for r in gateway.received] == [row.key, row.key]
    assert gateway.received[0]["body"] == gateway.received[1]["body"]
    assert session.get(OutboxMessage, row.id).status == OutboxStatus.SENT


def test_a_5xx_is_retried_later_with_backoff_and_a_4xx_is_given_up(app, session, gateway):
    row = _sms_row(session, app)
    channel = HttpSmsChannel(gateway.url, timeout=5)
    gateway.plan = [503, 502]
    at = now()
    assert delivery.deliver_next(session, channel, at)
    session.commit()
    session.refresh(row)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "503" in row.last_error
    first_wait = row.next_attempt_at - at
    assert not delivery.deliver_next(session, channel, at)  # not due yet
    later = row.next_attempt_at
    assert delivery.deliver_next(session, channel, later)
    session.commit()
    session.refresh(row)
    assert row.attempts == 2 and row.next_attempt_at - later > first_wait  # it backs off
    assert delivery.deliver_next(session, channel, row.next_attempt_at)
    session.commit()
    session.refresh(row)
    assert row.status == OutboxStatus.SENT
    assert {r["key"] for r in gateway.received} == {row.key}

    bad = _sms_row(session, app, mobile="13600000000")
    gateway.plan = [400]
    assert delivery.deliver_next(session, channel, now())
    session.commit()
    session.refresh(bad)
    assert bad.status == OutboxStatus.FAILED and "400" in bad.last_error


def test_a_gateway_that_does_not_answer_in_time_is_retried(app, session, gateway):
    row = _sms_row(session, app)
    gateway.delay = 5  # the stub holds the request longer than the adapter waits
    assert delivery.deliver_next(session, HttpSmsChannel(gateway.url, timeout=1))
    session.commit()
    session.refresh(row)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "超时" in row.last_error


def test_an_unreachable_gateway_is_retried(app, session, gateway):
    row = _sms_row(session, app)
    url = gateway.url
    gateway.close()
    assert delivery.deliver_next(session, HttpSmsChannel(url, timeout=1))
    session.commit()
    session.refresh(row)
    assert row.status == OutboxStatus.PENDING and "无法连接" in row.last_error


def test_gives_up_after_the_last_try():
    waits = [delivery.backoff(n) for n in range(1, delivery.MAX_ATTEMPTS + 1)]
    assert waits == sorted(waits) and waits[-1] == delivery.LONGEST_RETRY


@pytest.fixture
def committed_messages(app):
    keys: list[str] = []
    yield keys
    with app.extensions["yjs_db"].session_factory() as session:
        session.execute(delete(Message).where(Message.key.in_(keys)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.key.in_(keys)))
        session.commit()


def test_two_workers_deliver_every_message_none_lost_in_app_once(app, committed_messages):
    factory = app.extensions["yjs_db"].session_factory
    with factory() as session, app.test_request_context():
        lisi = session.scalars(select(User).where(User.username == "lisi")).one()
        rows = []
        for i in range(12):
            rows += outbox.notify_user(session, "received", lisi, case_no=f"T-{i}", theme="测试")
            rows.append(outbox.send_code(session, f"1370000{i:04d}", "123456", "注册", 10))
        session.commit()
        committed_messages.extend(r.key for r in rows)
    failures: list[BaseException] = []

    def work():
        try:
            with app.app_context():
                worker.deliver_notifications()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    with factory() as session:
        keys = set(committed_messages)
        statuses = session.scalars(select(OutboxMessage.status).where(OutboxMessage.key.in_(keys)))
        assert set(statuses) == {OutboxStatus.SENT}
        in_app = session.scalars(select(Message.key).where(Message.key.in_(keys))).all()
        assert len(in_app) == len(set(in_app)) == 12
    sent = [json.loads(line) for line in app.config["SMS_LOG_FILE"].read_text("utf-8").splitlines()]
    sms_keys = {k for k in keys if k not in set(in_app)}
    assert sms_keys <= {s["key"] for s in sent}  # none lost
