"""企业开办 cases per second: bare SpiffWorkflow in memory vs. the product's full path.

The product path is what a request does: restore the case from the database, check the
lock, run the engine step, store the state, update the inbox projection, write the audit
events, commit — once per task, plus submission.
"""

from __future__ import annotations

import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

REPO = Path(__file__).resolve().parent.parent
BPMN = REPO / "processes" / "themes" / "enterprise-opening" / "process.bpmn"


def bare_engine(n: int) -> float:
    """Cases/s for SpiffWorkflow alone: parse once, run n cases to completion in memory."""
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("enterprise_opening")
    start = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec)
        wf.task_tree.data.update({"housing_fund": i % 2 == 0})
        wf.do_engine_steps()
        while not wf.completed:
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.run()
            wf.do_engine_steps()
    return n / (time.perf_counter() - start)


def floor_path(url: str, n: int) -> float:
    """Cases/s for the floor: bare SpiffWorkflow plus one durable write of the state per
    step (the case's state serialised as the product stores it, one UPDATE + COMMIT on
    the same database; the start is one INSERT + COMMIT). Nothing else a request does."""
    import json

    from sqlalchemy import create_engine, text

    from engine.serialization import CaseStateSerializer

    serializer = CaseStateSerializer()
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("enterprise_opening")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_floor"))
            conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, state TEXT)"))
        with engine.connect() as conn:
            start = time.perf_counter()
            for i in range(n):
                wf = BpmnWorkflow(spec)
                wf.task_tree.data.update({"housing_fund": i % 2 == 0})
                wf.do_engine_steps()
                state = json.dumps(serializer.state_to_dict(wf), ensure_ascii=False)
                conn.execute(
                    text("INSERT INTO bench_floor (id, state) VALUES (:id, :s)"),
                    {"id": i, "s": state},
                )
                conn.commit()
                while not wf.completed:
                    task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
                    task.run()
                    wf.do_engine_steps()
                    state = json.dumps(serializer.state_to_dict(wf), ensure_ascii=False)
                    conn.execute(
                        text("UPDATE bench_floor SET state = :s WHERE id = :id"),
                        {"id": i, "s": state},
                    )
                    conn.commit()
            seconds = time.perf_counter() - start
            conn.execute(text("DROP TABLE bench_floor"))
            conn.commit()
    finally:
        engine.dispose()
    return n / seconds
