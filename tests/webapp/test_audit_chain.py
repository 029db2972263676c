"""The audit trail is tamper-evident: an UPDATE, a DELETE in the middle and a DELETE of the
last events are each found by `yjs audit verify`, which names the first broken event; on
PostgreSQL the table refuses UPDATE and DELETE outright."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from webapp.audit.chain import verify
from webapp.cli import main
from webapp.models import AuditEvent, Case

from .test_case_workflow import _accept, _grant_registration


def _events(session, case_no) -> list[AuditEvent]:
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.chain_seq)
    return list(session.scalars(stmt))


def _tamper(session, is_postgres, sql: str, **params) -> None:
    """What an attacker with the database's owner rights could do: on PostgreSQL the
    append-only trigger must be switched off first (only a superuser can)."""
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(text(sql), params)
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = origin"))


@pytest.fixture
def worked_case(login, submit_case):
    case_no = submit_case()["case_no"]
    _accept(login, case_no)
    _grant_registration(login, case_no)
    return case_no


def test_an_untouched_trail_verifies(app, session, worked_case):
    result = verify(session)
    assert result.intact, result.first_break
    assert result.events >= len(_events(session, worked_case)) >= 8


def test_an_update_is_found_and_named(session, is_postgres, worked_case):
    granted = next(e for e in _events(session, worked_case) if e.action == "task.granted")
    _tamper(
        session,
        is_postgres,
        "UPDATE audit_events SET actor_id = (SELECT id FROM users WHERE username = 'psb') "
        "WHERE id = :id",
        id=granted.id,
    )
    broken = verify(session).first_break
    assert broken is not None and broken.event_id == granted.id
    assert broken.message == "事件内容被改动"


def test_a_deleted_middle_event_is_found(session, is_postgres, worked_case):
    events = _events(session, worked_case)
    accepted = next(e for e in events if e.action == "case.accepted")
    following = events[events.index(accepted) + 1]
    _tamper(session, is_postgres, "DELETE FROM audit_events WHERE id = :id", id=accepted.id)
    broken = verify(session).first_break
    assert broken is not None and broken.event_id == following.id
    assert "链接断开" in broken.message


def test_deleting_the_last_events_is_found(session, is_postgres, worked_case):
    events = _events(session, worked_case)
    chain = events[-1].chain
    _tamper(
        session,
        is_postgres,
        "DELETE FROM audit_events WHERE id IN (:a, :b)",
        a=events[-1].id,
        b=events[-2].id,
    )
    broken = verify(session).first_break
    assert broken is not None and broken.chain == chain and broken.event_id is None
    assert "最后的事件被删除" in broken.message


def test_the_command_names_the_break_and_fails(app, session, is_postgres, worked_case):
    runner = app.test_cli_runner()
    ok = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert ok.exit_code == 0 and "校验通过" in ok.output
    last = _events(session, worked_case)[-1]
    _tamper(session, is_postgres, "UPDATE audit_events SET detail = 'x' WHERE id = :id", id=last.id)
    session.commit()
    bad = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert bad.exit_code == 1
    assert f"事件 #{last.id}" in bad.output


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(session, is_postgres, worked_case):
    if not is_postgres:
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    event_id = _events(session, worked_case)[0].id
    for statement in (
        "UPDATE audit_events SET detail = 'x' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": event_id})


def test_events_undone_with_a_savepoint_leave_the_chain_whole(session, worked_case):
    """The worker checks each case inside a savepoint; a case whose check fails is rolled
    back to it and then marked `timer.failed`. The head, written once as the transaction
    commits, must follow the events that stayed, not the ones undone."""
    from webapp.audit import trail

    before = _events(session, worked_case)[-1]
    case = session.scalars(select(Case).where(Case.case_no == worked_case)).one()
    trail.record(session, None, "clock.paused", case=case, after={"why": "kept"})
    session.flush()
    with pytest.raises(RuntimeError), session.begin_nested():
        trail.record(session, None, "timer.fired", case=case, after={"why": "undone"})
        session.flush()
        raise RuntimeError("the case's check failed")
    trail.record(session, None, "timer.failed", case=case, detail="RuntimeError")
    session.commit()

    events = _events(session, worked_case)
    assert [e.action for e in events[-2:]] == ["clock.paused", "timer.failed"]
    assert [e.chain_seq for e in events[-2:]] == [before.chain_seq + 1, before.chain_seq + 2]
    assert events[-1].prev_hash == events[-2].hash
    result = verify(session)
    assert result.intact, result.first_break
