"""Two clerks completing the same task at once: exactly one wins, the other gets a 409.

Runs with committed data and real threads (each with its own connection), on SQLite and —
with YJS_TEST_DATABASE_URL — on PostgreSQL, where the case row lock does the work.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from webapp.models import AuditEvent, Case, CaseTask

from .conftest import committed_client, enterprise_answers


def test_same_task_completed_twice_at_once(app, committed_cases):
    applicant, token = committed_client(app, "zhangsan")
    outcomes = []
    for _ in range(4):  # a few rounds, so both orderings of the race are likely exercised
        response = applicant.post(
            "/api/cases/",
            json={"theme": "enterprise-opening", "answers": enterprise_answers()},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 201, response.get_json()
        case_no = response.get_json()["case_no"]
        committed_cases.append(case_no)

        clerks = [committed_client(app, "window") for _ in range(2)]
        tasks = clerks[0][0].get("/api/tasks/").get_json()["tasks"]
        task_id = next(t["id"] for t in tasks if t["case_no"] == case_no)

        barrier = threading.Barrier(2)
        results: list = [None, None]

        def act(i, client=None, csrf=None, task=task_id, barrier=barrier, results=results):
            barrier.wait()
            response = client.post(
                f"/api/tasks/{task}/complete",
                json={"opinion": f"受理人{i}"},
                headers={"X-CSRFToken": csrf},
            )
            results[i] = (response.status_code, response.get_json())

        threads = [
            threading.Thread(target=act, args=(i,), kwargs={"client": c, "csrf": t})
            for i, (c, t) in enumerate(clerks)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        statuses = sorted(r[0] for r in results)
        assert statuses == [200, 409], results
        loser = next(r[1] for r in results if r[0] == 409)
        assert loser["code"] == "conflict" and "他人" in loser["message"]
        outcomes.append(statuses)

        # Exactly one acceptance recorded; the case moved on exactly once.
        database = app.extensions["yjs_db"]
        with database.session_factory() as session:
            case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
            accepted = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.case_id == case.id, AuditEvent.action == "case.accepted"
                )
            ).all()
            assert len(accepted) == 1
            assert case.status == "in_progress"
            open_tasks = session.scalars(
                select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == "open")
            ).all()
            assert [t.bpmn_id for t in open_tasks] == ["Task_Registration"]
    assert len(outcomes) == 4
