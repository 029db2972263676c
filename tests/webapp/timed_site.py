"""A site of its own for tests with committed data and real `yjs worker` processes.

Its own database (the workers must see committed data), and a copy of the shipped themes
in which 企业开办 waits for a short 登记公示 timer before 公章刻制备案: after 企业设立登记 the
timer waits beside the other departments' open tasks, so either a worker's sweep or a
clerk's action on one of those tasks can be the step that fires it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from tests.conftest import UserClient
from webapp import create_app
from webapp.migrate import upgrade
from webapp.models import Case, CaseTask, TaskStatus

from .conftest import enterprise_answers

REPO = Path(__file__).resolve().parents[2]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TIMER_ID = "Timer_Publicity"
TIMER_NAME = "登记公示"
WAIT = dt.timedelta(seconds=2)


def theme_with_timer(processes: Path) -> None:
    """Insert an intermediate timer on 企业开办's branch to 公章刻制备案 (公安局)."""
    path = processes / "themes" / "enterprise-opening" / "process.bpmn"
    tree = etree.parse(str(path))
    ns = {"bpmn": BPMN}
    process = tree.find(".//bpmn:process", ns)
    flow = next(
        f for f in process.findall("bpmn:sequenceFlow", ns) if f.get("targetRef") == "Task_Seal"
    )
    flow.set("targetRef", TIMER_ID)
    timer = etree.SubElement(
        process, f"{{{BPMN}}}intermediateCatchEvent", id=TIMER_ID, name=TIMER_NAME
    )
    etree.SubElement(timer, f"{{{BPMN}}}incoming").text = flow.get("id")
    etree.SubElement(timer, f"{{{BPMN}}}outgoing").text = "Flow_AfterPublicity"
    definition = etree.SubElement(timer, f"{{{BPMN}}}timerEventDefinition", id="TimerDef_Publicity")
    etree.SubElement(definition, f"{{{BPMN}}}timeDuration").text = f'"PT{WAIT.total_seconds():g}S"'
    etree.SubElement(
        process,
        f"{{{BPMN}}}sequenceFlow",
        id="Flow_AfterPublicity",
        sourceRef=TIMER_ID,
        targetRef="Task_Seal",
    )
    seal = process.find("bpmn:userTask[@id='Task_Seal']", ns)
    for incoming in seal.findall("bpmn:incoming", ns):
        if incoming.text == flow.get("id"):
            incoming.text = "Flow_AfterPublicity"
    lane = next(lane for lane in process.iter(f"{{{BPMN}}}lane") if lane.get("name") == "公安局")
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = TIMER_ID
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def own_database(database_url: str, suffix: str, tmp_path: Path) -> str:
    """A fresh, migrated database next to the suite's (PostgreSQL) or in `tmp_path` (SQLite)."""
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        url = f"{base}/{name}_{suffix}"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_{suffix}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}_{suffix}"'))
        admin.dispose()
    else:
        url = f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
    upgrade(url)
    return url


def credit_code(base17: str) -> str:
    """A 统一社会信用代码 (a 营业执照 number) with its GB 32100 check digit."""
    return base17 + uscc.calc_check_digit(base17)


class TimedSite:
    """The app over the own database, its clerks, and `yjs worker` processes beside it."""

    def __init__(self, url: str, tmp_path: Path):
        from webapp.accounts.users import DEMO_PASSWORD, ensure_demo_users
        from webapp.db import db_session
        from webapp.themes.shipped import load_shipped

        self.url = url
        self.tmp_path = tmp_path
        self.processes = tmp_path / "processes"
        shutil.copytree(REPO / "processes", self.processes)
        theme_with_timer(self.processes)
        self.app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "t" * 40,
                "INSTANCE_DIR": tmp_path,
                "PROCESSES_DIR": self.processes,
                "TESTING": True,
            }
        )
        with self.app.app_context():
            session = db_session()
            load_shipped(session, self.processes)
            ensure_demo_users(session)
            session.commit()
        self.engine = self.app.extensions["yjs_db"].engine
        self._clients = {
            name: UserClient(self.app.test_client(), name).login(DEMO_PASSWORD)
            for name in ("zhangsan", "window", "samr", "tax")
        }

    def client(self, username: str) -> UserClient:
        return self._clients[username]

    def open_task_id(self, case_no: str, bpmn_id: str) -> int:
        with Session(self.engine) as session:
            return session.scalars(
                select(CaseTask.id)
                .join(Case)
                .where(
                    Case.case_no == case_no,
                    CaseTask.bpmn_id == bpmn_id,
                    CaseTask.status == TaskStatus.OPEN,
                )
            ).one()

    def act(self, username: str, case_no: str, bpmn_id: str, payload: dict) -> None:
        task_id = self.open_task_id(case_no, bpmn_id)
        done = self.client(username).post_json(f"/api/tasks/{task_id}/complete", payload)
        assert done.status_code == 200, done.get_json()

    def cases_at_the_timer(self, count: int) -> list[str]:
        """Cases accepted and registered: each now waits for 登记公示 (and three departments)."""
        case_nos = []
        for i in range(count):
            created = self.client("zhangsan").post_json(
                "/api/cases/", {"theme": "enterprise-opening", "answers": enterprise_answers()}
            )
            assert created.status_code == 201, created.get_json()
            case_no = created.get_json()["case_no"]
            self.act("window", case_no, "Task_Accept", {})
            self.act(
                "samr",
                case_no,
                "Task_Registration",
                # A 营业执照 number is a 统一社会信用代码: check digit included.
                {"opinion": "准予", "result_no": credit_code(f"91441322MA5TMR0{i:02d}")},
            )
            case_nos.append(case_no)
        return case_nos

    def cases(self, session: Session, case_nos: list[str]) -> list[Case]:
        return list(
            session.scalars(select(Case).where(Case.case_no.in_(case_nos)).order_by(Case.id))
        )

    def wait_until_due(self, case_nos: list[str]) -> None:
        with Session(self.engine) as session:
            due = max(c.next_timer_at for c in self.cases(session, case_nos))
        time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)

    def worker(self) -> subprocess.Popen:
        """`yjs worker --once` as its own process."""
        env = {
            **os.environ,
            "YJS_DATABASE_URL": self.url,
            "YJS_PROCESSES_DIR": str(self.processes),
            "YJS_INSTANCE_DIR": str(self.tmp_path),
            "YJS_SECRET_KEY": "w" * 40,
        }
        return subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "worker", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        self.engine.dispose()
