"""BPMN timers fired by real `yjs worker` processes, several at once: each timer fires once.

An analyst's version of 企业开办 waits for a short 公示 timer after 企业设立登记. Cases are
driven to the timer over HTTP and committed to a database of their own; then three worker
processes sweep at the same moment. Every case must show exactly one `timer.fired` and
exactly one 公章刻制备案 task, whichever worker got it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from webapp import create_app
from webapp.migrate import upgrade
from webapp.models import AuditEvent, Case, CaseTask

from .conftest import enterprise_answers

REPO = Path(__file__).resolve().parents[2]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CASES = 6
WAIT = "PT2S"


def credit_code(base17: str) -> str:
    """A 统一社会信用代码 (a 营业执照 number) with its GB 32100 check digit."""
    return base17 + uscc.calc_check_digit(base17)


def _theme_with_timer(processes: Path) -> None:
    """Insert an intermediate timer between 企业设立登记 and the parallel split."""
    path = processes / "themes" / "enterprise-opening" / "process.bpmn"
    tree = etree.parse(str(path))
    ns = {"bpmn": BPMN}
    process = tree.find(".//bpmn:process", ns)
    flow = next(
        f
        for f in process.findall("bpmn:sequenceFlow", ns)
        if f.get("sourceRef") == "Task_Registration"
    )
    target = flow.get("targetRef")
    flow.set("targetRef", "Timer_Publicity")
    timer = etree.SubElement(
        process, f"{{{BPMN}}}intermediateCatchEvent", id="Timer_Publicity", name="登记公示"
    )
    etree.SubElement(timer, f"{{{BPMN}}}incoming").text = flow.get("id")
    etree.SubElement(timer, f"{{{BPMN}}}outgoing").text = "Flow_AfterPublicity"
    definition = etree.SubElement(timer, f"{{{BPMN}}}timerEventDefinition", id="TimerDef_Publicity")
    etree.SubElement(definition, f"{{{BPMN}}}timeDuration").text = f'"{WAIT}"'
    etree.SubElement(
        process,
        f"{{{BPMN}}}sequenceFlow",
        id="Flow_AfterPublicity",
        sourceRef="Timer_Publicity",
        targetRef=target,
    )
    gateway = process.find(f"bpmn:*[@id='{target}']", ns)
    for incoming in gateway.findall("bpmn:incoming", ns):
        if incoming.text == flow.get("id"):
            incoming.text = "Flow_AfterPublicity"
    lane = next(
        lane for lane in process.iter(f"{{{BPMN}}}lane") if lane.get("name") == "市场监管局"
    )
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "Timer_Publicity"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def timer_database(database_url, tmp_path):
    """A database of its own (the workers must see committed data)."""
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        url = f"{base}/{name}_workers"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_workers" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}_workers"'))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    processes = tmp_path / "processes"
    shutil.copytree(REPO / "processes", processes)
    _theme_with_timer(processes)
    upgrade(url)
    return url, processes


def _worker(url: str, processes: Path, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "YJS_DATABASE_URL": url,
        "YJS_PROCESSES_DIR": str(processes),
        "YJS_INSTANCE_DIR": str(tmp_path),
        "YJS_SECRET_KEY": "w" * 40,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_workers_fire_each_timer_exactly_once(timer_database, tmp_path):
    from tests.conftest import UserClient
    from webapp.accounts.users import DEMO_PASSWORD, ensure_demo_users
    from webapp.db import db_session
    from webapp.themes.shipped import load_shipped

    url, processes = timer_database
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "t" * 40,
            "INSTANCE_DIR": tmp_path,
            "PROCESSES_DIR": processes,
            "TESTING": True,
        }
    )
    with app.app_context():
        session = db_session()
        load_shipped(session, processes)
        ensure_demo_users(session)
        session.commit()

    def login(name):
        return UserClient(app.test_client(), name).login(DEMO_PASSWORD)

    applicant, window, samr = login("zhangsan"), login("window"), login("samr")
    for _ in range(CASES):
        created = applicant.post_json(
            "/api/cases/", {"theme": "enterprise-opening", "answers": enterprise_answers()}
        )
        assert created.status_code == 201, created.get_json()
    for task in window.get("/api/tasks/?view=all").get_json()["tasks"]:
        assert window.post_json(f"/api/tasks/{task['id']}/complete", {}).status_code == 200
    for i, task in enumerate(samr.get("/api/tasks/").get_json()["tasks"]):
        granted = samr.post_json(
            f"/api/tasks/{task['id']}/complete",
            {"opinion": "准予", "result_no": credit_code(f"91441322MA5TMR0{i:02d}")},
        )
        assert granted.status_code == 200, granted.get_json()

    engine = app.extensions["yjs_db"].engine
    with Session(engine) as session:
        waiting = session.scalars(select(Case)).all()
        assert len(waiting) == CASES
        assert all(c.next_timer_at is not None for c in waiting)
        # Nobody at 公安局 yet: the cases wait for the timer.
        assert (
            session.scalar(
                select(func.count()).select_from(CaseTask).where(CaseTask.bpmn_id == "Task_Seal")
            )
            == 0
        )
        due = max(c.next_timer_at for c in waiting)
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)

    workers = [_worker(url, processes, tmp_path) for _ in range(3)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr

    with Session(engine) as session:
        for case in session.scalars(select(Case)):
            fired = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.case_id == case.id, AuditEvent.action == "timer.fired"
                )
            ).all()
            assert len(fired) == 1, case.case_no
            seals = session.scalars(
                select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.bpmn_id == "Task_Seal")
            ).all()
            assert len(seals) == 1, case.case_no
            assert case.next_timer_at is None
    engine.dispose()
