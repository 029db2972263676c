"""A case in flight stored before the compact engine state (SpiffWorkflow's format "1.5")
keeps running after the upgrade; its next save writes the compact format. On PostgreSQL the
old state comes back from jsonb with its keys reordered."""

from __future__ import annotations

import datetime as dt

from engine.cases import open_tasks
from webapp.cases.engine_state import restore_workflow, serializer
from webapp.clock import CHINA_TZ

from .test_case_workflow import _act, _case, _task


def test_a_gap_case_stored_the_old_way_runs_to_the_end(login, submit_case, session):
    case_no = submit_case(housing_fund=False)["case_no"]
    window = login("window")
    promised = (dt.datetime.now(CHINA_TZ).date() + dt.timedelta(days=3)).isoformat()
    gaps = [{"material": "CL-SQWTS", "promised_date": promised}]
    _act(window, _task(window, case_no)["id"], {"action": "accept_with_gap", "gaps": gaps})
    case = _case(session, case_no)
    workflow = restore_workflow(case)
    waiting = {t.task_id for t in open_tasks(workflow)}
    # As the case stood in the database before the upgrade.
    case.state = serializer.spiff_state_to_dict(workflow)
    session.commit()
    assert _case(session, case_no).state["format"] == "1.5"

    grant = {"action": "grant", "opinion": "同意", "result_no": "91441322MA0000001W"}
    samr = login("samr")
    registration = _task(samr, case_no)
    _act(samr, registration["id"], grant)
    case = _case(session, case_no)
    done = next(t for t in case.tasks if t.id == registration["id"])
    assert done.engine_task_id in waiting  # the engine found the old state's task
    assert case.state["format"] == "yjs-2"
    for name in ("psb", "tax", "hrss"):
        client = login(name)
        _act(client, _task(client, case_no)["id"], grant)
    received = window.post_form(f"/clerk/gaps/{case.gaps[0].id}/received")
    assert received.status_code == 302
    deliver = {"action": "deliver", "method": "post", "tracking_no": "SF1234567890"}
    _act(window, _task(window, case_no)["id"], deliver)
    case = _case(session, case_no)
    assert case.status == "completed"
    assert {r["item"] for r in case.delivery["results"]} == {
        "SAMR-QYSLDJ", "PSB-GZKZBA", "TAX-SSSXBL", "HRSS-DWCBDJ",
    }  # fmt: skip
