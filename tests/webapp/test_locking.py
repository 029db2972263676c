"""The three protections of webapp/cases/locking.py, each tested on its own.

A test here must fail when its protection is removed while the other two stay, so none of
them leans on another: the row-version tests never go through `lock_case` (its refresh
would hide a stale snapshot), the row-lock test keeps the row version in place and looks
at ordering, and the status re-check is tested where neither the lock nor the engine
objects. `make mutants` (tests/mutations/) removes each protection in turn and checks
that these tests notice.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from webapp.cases import steps as case_steps
from webapp.cases.locking import TAKEN, lock_case
from webapp.db import db_session
from webapp.models import AuditEvent, Case, CaseTask

from .conftest import committed_client, enterprise_answers

# Upper bound for waiting on another connection; a healthy run needs milliseconds.
PATIENCE_SECONDS = 30


def _committed_case(app, committed_cases) -> int:
    """A submitted case that every connection sees (removed again by `committed_cases`)."""
    client, token = committed_client(app, "zhangsan")
    response = client.post(
        "/api/cases/",
        json={"theme": "enterprise-opening", "answers": enterprise_answers()},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.get_json()
    case_no = response.get_json()["case_no"]
    committed_cases.append(case_no)
    with app.extensions["yjs_db"].session_factory() as session:
        return session.scalar(select(Case.id).where(Case.case_no == case_no))


def _window_task(client, case_no) -> dict:
    tasks = client.get("/api/tasks/?view=all").get_json()["tasks"]
    return next(t for t in tasks if t["case_no"] == case_no)


def _events(session, case_no) -> list[str]:
    case_id = select(Case.id).where(Case.case_no == case_no).scalar_subquery()
    stmt = select(AuditEvent.action).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    return list(session.scalars(stmt))


# --- the row version (every database) ----------------------------------------------------


def test_a_writer_with_a_stale_copy_of_the_case_fails_and_writes_nothing(app, committed_cases):
    case_id = _committed_case(app, committed_cases)
    database = app.extensions["yjs_db"]
    with database.session_factory() as first, database.session_factory() as second:
        mine = first.get(Case, case_id)
        stale = second.get(Case, case_id)
        version = stale.row_version
        # The second ends its read transaction but keeps its copy (no expiry on commit).
        # An open read would make SQLite refuse the later write by itself ("database is
        # locked": its snapshot is older than the first's commit); that is not the
        # protection under test. On PostgreSQL it makes no difference.
        second.commit()

        mine.end_reason = "first writer"
        first.commit()

        stale.end_reason = "second writer"
        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()

    with database.session_factory() as fresh:
        case = fresh.get(Case, case_id)
        assert case.end_reason == "first writer"
        assert case.row_version == version + 1  # the first write, and only that


def test_an_action_on_a_case_changed_underneath_it_is_a_409_and_changes_nothing(
    login, submit_case, session, monkeypatch
):
    """The same over HTTP: the row moves on between the action's read and its write."""
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _window_task(window, case_no)
    store_workflow = case_steps.store_workflow

    def someone_else_writes_first(case, workflow):
        # What another transaction's committed UPDATE leaves behind: a newer row version.
        # Plain SQL, so the action's loaded copy of the case does not learn of it.
        db_session().execute(
            text("UPDATE cases SET row_version = row_version + 1 WHERE id = :id"), {"id": case.id}
        )
        store_workflow(case, workflow)

    monkeypatch.setattr(case_steps, "store_workflow", someone_else_writes_first)
    response = window.post_json(f"/api/tasks/{task['id']}/complete", {})
    assert response.status_code == 409, response.get_json()
    assert "刚被他人更新" in response.get_json()["message"]

    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.status == "submitted" and case.accepted_at is None
    assert session.get(CaseTask, task["id"]).status == "open"
    assert "case.accepted" not in _events(session, case_no)


# --- SELECT … FOR UPDATE (PostgreSQL) ----------------------------------------------------


def _wait_until_blocked(watcher, pid: int, returned: threading.Event) -> bool:
    """True once backend `pid` waits for a lock; False if its call returned first."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        if returned.is_set():
            return False
        waiting = watcher.execute(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar()
        if waiting == "Lock":
            return True
        time.sleep(0.01)
    raise AssertionError(f"the second lock_case neither waited nor returned in {PATIENCE_SECONDS}s")


def test_a_second_lock_waits_for_the_first_commit_and_then_sees_its_work(
    app, committed_cases, is_postgres
):
    if not is_postgres:
        pytest.skip("SQLite has no row locks (it serialises whole writes); PostgreSQL only")
    case_id = _committed_case(app, committed_cases)
    database = app.extensions["yjs_db"]
    first = database.session_factory()
    second = database.session_factory()
    # pg_stat_activity is read once per transaction; autocommit gives a fresh look each poll.
    watcher = database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    returned = threading.Event()
    seen: dict = {}

    def second_locks():
        try:
            seen["end_reason"] = lock_case(second, case_id).end_reason
        except Exception as exc:  # reported by the assertions below
            seen["error"] = repr(exc)
        finally:
            returned.set()

    thread = threading.Thread(target=second_locks, daemon=True)
    try:
        # The second has the case loaded already (as a request that looked before locking
        # does): its lock must hand back the row as committed, not this copy. Held in a
        # variable: the session keeps loaded objects only weakly.
        earlier_look = second.get(Case, case_id)
        assert earlier_look.end_reason is None
        second_pid = second.scalar(text("SELECT pg_backend_pid()"))

        locked = lock_case(first, case_id)
        locked.end_reason = "first holder"
        first.flush()  # in the database, not yet committed

        thread.start()
        blocked = _wait_until_blocked(watcher, second_pid, returned)
        assert blocked, f"the second lock_case returned while the first held the row: {seen}"

        first.commit()
        thread.join(PATIENCE_SECONDS)
        assert returned.is_set(), "the second lock_case still waits after the first committed"
        assert seen == {"end_reason": "first holder"}
        assert earlier_look.end_reason == "first holder"  # the same object, refreshed
    finally:
        first.rollback()  # a failed run must not leave the row locked
        thread.join(PATIENCE_SECONDS)
        second.rollback()
        for closeable in (first, second, watcher):
            closeable.close()


# --- the status re-check (every database) --------------------------------------------------


def test_the_clerk_who_asked_for_correction_cannot_accept_meanwhile(login, submit_case, session):
    """补正 suspends the acceptance task but leaves its BPMN task READY: the engine alone
    would accept the case while the applicant is still correcting it."""
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _window_task(window, case_no)
    asked = window.post_json(
        f"/api/tasks/{task['id']}/complete",
        {"action": "correct", "fields": ["applicant.mobile"], "note": "请核对手机号"},
    )
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["status"] == "suspended"

    # The same clerk holds the claim, so no claim check stands in the way.
    response = window.post_json(f"/api/tasks/{task['id']}/complete", {})
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["message"] == "该办件正等待申请人补正，补正提交后才能继续办理"

    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert case.status == "correction" and case.accepted_at is None
    assert session.get(CaseTask, task["id"]).status == "suspended"
    assert "case.accepted" not in _events(session, case_no)


@pytest.mark.parametrize("verb", ["claim", "unclaim"])
def test_claiming_or_releasing_a_task_already_done_is_refused(login, submit_case, session, verb):
    """Claims touch no BPMN task: only the re-check stands between them and a done task."""
    case_no = submit_case()["case_no"]
    window = login("window")
    task = _window_task(window, case_no)
    done = window.post_json(f"/api/tasks/{task['id']}/complete", {})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"

    # The clerk who completed it holds its claim, so no claim check stands in the way.
    response = window.post_json(f"/api/tasks/{task['id']}/{verb}")
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["message"] == TAKEN
    session.expire_all()
    assert session.get(CaseTask, task["id"]).claimed_by.username == "window"
    assert not {"task.claimed", "task.unclaimed"} & set(_events(session, case_no))
