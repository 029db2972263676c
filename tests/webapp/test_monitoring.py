"""What operators read of the app in process: health, readiness, /metrics and who may read
it, request ids, JSON logs (masked)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select, text

from webapp import create_app
from webapp.clock import now
from webapp.logging_setup import JsonFormatter
from webapp.migrate import upgrade
from webapp.models import Case, User

from .conftest import LEGAL_REP_ID

PHONE = "13812345678"


def _samples(response) -> dict[tuple[str, tuple], float]:
    """Every sample of an exposition, by name and sorted labels."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- health and readiness -----------------------------------------------------------


def test_healthz_answers_ok_while_the_database_answers(app, db):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def _app_for(url: str, tmp_path):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "h" * 40, "INSTANCE_DIR": tmp_path})


@pytest.fixture
def unreachable_url(is_postgres, tmp_path):
    if is_postgres:
        return "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on 1
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'yjs.sqlite3'}"


def test_healthz_is_503_when_the_database_is_down(unreachable_url, tmp_path):
    down = _app_for(unreachable_url, tmp_path)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "down"}
    # Not ready either, and /metrics still answers: the database is reported down.
    ready = down.test_client().get("/readyz")
    assert ready.status_code == 503
    assert [p["code"] for p in ready.get_json()["problems"]] == ["database"]
    assert _value(_samples(down.test_client().get("/metrics")), "yjs_database_up") == 0
    down.extensions["yjs_db"].engine.dispose()


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """An empty database of its own (readiness is about what a database lacks)."""
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        url = f"{base}/{name}_ready"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_ready" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}_ready"'))
        admin.dispose()
        return url
    return f"sqlite:///{tmp_path / 'ready.sqlite3'}"


def test_readyz_waits_for_migrations_and_themes(fresh_database, tmp_path):
    from webapp.db import db_session
    from webapp.themes.shipped import load_shipped

    app = _app_for(fresh_database, tmp_path)
    client = app.test_client()

    def problems():
        response = client.get("/readyz")
        body = response.get_json()
        assert response.status_code == (200 if body["status"] == "ready" else 503)
        return [p["code"] for p in body.get("problems", [])]

    assert problems() == ["migrations"]  # nothing migrated
    upgrade(fresh_database, "0006")  # one migration behind the code
    assert problems() == ["migrations"]
    upgrade(fresh_database)
    response = client.get("/readyz")
    assert "yjs load-themes" in response.get_json()["problems"][0]["message"]
    assert problems() == ["themes"]
    with app.app_context():
        session = db_session()
        load_shipped(session, app.config["PROCESSES_DIR"])
        session.commit()
    assert problems() == []
    assert client.get("/readyz").get_json() == {"status": "ready"}
    app.extensions["yjs_db"].engine.dispose()


# --- /metrics -------------------------------------------------------------------------


def test_metrics_count_requests_and_engine_steps(app, db, submit_case):
    client = app.test_client()
    before = _samples(client.get("/metrics"))
    submit_case()
    client.get("/healthz")
    after = _samples(client.get("/metrics"))

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    submitted = {"endpoint": "api_cases.submit", "method": "POST", "status": "201"}
    assert grew("yjs_http_request_duration_seconds_count", **submitted) == 1
    healthz = {"endpoint": "health.healthz", "method": "GET", "status": "200"}
    assert grew("yjs_http_request_duration_seconds_count", **healthz) == 1
    assert grew("yjs_engine_step_seconds_count") == 1  # the submission's first step
    assert _value(after, "yjs_db_pool_size") > 0
    assert _value(after, "yjs_db_pool_connections_in_use") >= 1  # the scrape's own
    assert _value(after, "yjs_database_up") == 1


def test_unknown_urls_share_one_series(app, db):
    client = app.test_client()
    for path in ("/no-such-page", "/another/missing/page"):
        assert client.get(path).status_code == 404
    families = _samples(client.get("/metrics"))
    endpoints = {
        dict(labels)["endpoint"]
        for name, labels in families
        if name == "yjs_http_request_duration_seconds_count"
    }
    assert "unmatched" in endpoints
    assert not any("missing" in e for e in endpoints)


def test_worker_lag_is_the_age_of_the_oldest_due_check(app, db, submit_case, session):
    case_no = submit_case()["case_no"]
    overdue = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    case.next_check_at = overdue
    session.commit()
    at_least = (now() - overdue).total_seconds()  # taken before the scrape
    samples = _samples(app.test_client().get("/metrics"))
    lag = _value(samples, "yjs_worker_lag_seconds")
    assert at_least <= lag < at_least + 24 * 3600
    assert _value(samples, "yjs_worker_due_cases") >= 1


TOKEN = "metrics-token-0123456789"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.mark.parametrize(
    ("environ", "headers", "token", "status"),
    [
        ({}, {}, "", 200),  # on this machine, directly
        ({"REMOTE_ADDR": "::1"}, {}, "", 200),
        ({"REMOTE_ADDR": "::ffff:127.0.0.1"}, {}, "", 200),
        ({"REMOTE_ADDR": "::ffff:203.0.113.9"}, {}, "", 403),
        (ELSEWHERE, {}, "", 403),
        # Through a reverse proxy on this machine: the socket is local, the client is not.
        ({}, {"X-Forwarded-For": "203.0.113.9"}, "", 403),
        ({}, {"X-Real-IP": "203.0.113.9"}, "", 403),
        (ELSEWHERE, {"Authorization": f"Bearer {TOKEN}"}, TOKEN, 200),
        ({}, {"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {TOKEN}"}, TOKEN, 200),
        (ELSEWHERE, {"Authorization": "Bearer wrong-token-0123456789"}, TOKEN, 403),
        (ELSEWHERE, {"Authorization": TOKEN}, TOKEN, 403),  # not as a bearer token
        (ELSEWHERE, {"Authorization": "Bearer "}, "", 403),  # no token set: none matches
    ],
)
def test_who_may_read_metrics(app, db, monkeypatch, environ, headers, token, status):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", token)
    response = app.test_client().get("/metrics", headers=headers, environ_base=environ)
    assert response.status_code == status
    if status == 200:
        assert response.content_type.startswith("text/plain; version=0.0.4")


# --- request ids and logs ---------------------------------------------------------------


def test_a_sane_request_id_is_echoed_and_others_replaced(app, db):
    client = app.test_client()
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.42"
    for insane in ("two words", "x" * 200, "<script>", ""):
        replaced = client.get("/healthz", headers={"X-Request-ID": insane})
        assert replaced.headers["X-Request-ID"] != insane
        assert len(replaced.headers["X-Request-ID"]) == 32
    a, b = client.get("/healthz"), client.get("/healthz")
    assert a.headers["X-Request-ID"] != b.headers["X-Request-ID"]


@pytest.fixture
def json_log():
    """What the app logs while the test runs, as JsonFormatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_request_lines_carry_request_user_and_case(login, submit_case, session, json_log):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    page = applicant.get(f"/applicant/cases/{case_no}", headers={"X-Request-ID": "case-page-1"})
    assert page.status_code == 200
    (line,) = [e for e in json_log() if e.get("request_id") == "case-page-1"]
    user_id = session.scalar(select(User.id).where(User.username == "zhangsan"))
    assert line["logger"] == "webapp.requests" and line["level"] == "INFO"
    assert line["user_id"] == user_id and line["case_no"] == case_no
    assert line["path"] == f"/applicant/cases/{case_no}" and line["status"] == 200
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None
    # Before logging in, nobody; the login request itself ends logged in.
    anonymous = [e for e in json_log() if e.get("message") == "GET /login 200"]
    assert anonymous and all("user_id" not in e for e in anonymous)


def test_json_logs_are_masked_messages_fields_and_exceptions(app, json_log):
    log = logging.getLogger("webapp.test")
    with app.test_request_context(f"/search/{LEGAL_REP_ID}"):
        log.info("申请人 %s 手机 %s", LEGAL_REP_ID, PHONE, extra={"path": f"/x/{PHONE}"})
        try:
            raise ValueError(f"身份证号 {LEGAL_REP_ID} 无效")
        except ValueError:
            log.exception("校验失败")
    lines = json_log()
    written = "\n".join(json.dumps(e, ensure_ascii=False) for e in lines)
    assert LEGAL_REP_ID not in written and PHONE not in written
    masked_id = LEGAL_REP_ID[:6] + "********" + LEGAL_REP_ID[-4:]
    first, second = lines
    assert first["message"] == f"申请人 {masked_id} 手机 138****5678"
    assert first["path"] == "/x/138****5678"
    assert second["level"] == "ERROR" and second["message"] == "校验失败"
    assert "ValueError" in second["exc_info"] and masked_id in second["exc_info"]
