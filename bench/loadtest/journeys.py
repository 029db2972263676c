"""The locust users of `make loadtest` (bench/loadtest/__main__.py runs them headless).

`HealthUser`: /healthz as fast as it answers (the reference: what the same server does
with no work). `JourneyUser`: one 企业开办 case from submission to 出件 after another, with
sessions established once at start: each user its applicant's session, and one session
per clerk (the window and each department) shared by all users, as a hall's clerks serve
every applicant; every request of a journey is counted, the inbox reads included. The
journeys are timed from the moment every session exists (sign-ins hash passwords: set-up,
not journeys) for YJS_LOADTEST_SECONDS, then locust stops. Names
group the per-action latencies: 提交 submit, 待办 inbox, 受理 accept, 审批 grant, 出件 deliver.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import gevent
import gevent.event
import gevent.lock
import yaml
from locust import HttpUser, constant, events, task
from locust.clients import HttpSession

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "processes" / "themes" / "enterprise-opening" / "sample-application.yaml"
PASSWORD = "yjs-demo-2026"  # noqa: S105 - the demo accounts (webapp/accounts/users.py)
DEPARTMENT_CLERKS = ("samr", "psb", "tax", "hrss", "hf")
OUTCOMES = {
    "acceptance": ("受理 accept", {"opinion": "材料齐全，予以受理"}),
    "item": ("审批 grant", {"opinion": "同意", "result_no": "91441322MA5BENCH06"}),
    "delivery": ("出件 deliver", {"method": "post", "tracking_no": "EMS0000000000"}),
}
MAX_ROUNDS = 40
# Measured from the moment every user has signed in (sign-ins hash passwords: they are
# set-up, not journeys); written where YJS_LOADTEST_OUT says when locust stops.
WINDOW = {"journeys": 0, "started": None, "ready": 0}
ALL_IN = gevent.event.Event()
CLERKS: list = []  # the clerks' sessions, shared by every user
CLERKS_LOCK = gevent.lock.Semaphore()


@events.quitting.add_listener
def _write_window(environment, **_kw):
    out = os.environ.get("YJS_LOADTEST_OUT")
    if out and WINDOW["started"] is not None:
        seconds = time.monotonic() - WINDOW["started"]
        Path(out).write_text(json.dumps({"seconds": seconds, "journeys": WINDOW["journeys"]}))


@events.init_command_line_parser.add_listener
def _options(parser):
    parser.add_argument("--yjs-password", default=PASSWORD)


class Browser:
    """One signed-in account: its own cookies and CSRF token."""

    def __init__(self, user: HttpUser, username: str):
        self.http = HttpSession(
            base_url=user.host, request_event=user.environment.events.request, user=user
        )
        page = self.http.get("/login", name="登录 login").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        password = user.environment.parsed_options.yjs_password
        self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf},
            name="登录 login",
            allow_redirects=False,
        )
        page = self.http.get("/", name="登录 login").text
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        self.csrf = found.group(1) if found else csrf

    def get(self, url: str, name: str):
        return self.http.get(url, name=name)

    def post_json(self, url: str, payload: dict, name: str):
        return self.http.post(url, json=payload, headers={"X-CSRFToken": self.csrf}, name=name)


class HealthUser(HttpUser):
    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")


class JourneyUser(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        answers = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
        self.answers = answers
        self.applicant = Browser(self, "zhangsan")
        with CLERKS_LOCK:
            if not CLERKS:
                CLERKS.extend(Browser(self, name) for name in ("window", *DEPARTMENT_CLERKS))
        self.clerks = CLERKS
        self.n = 0
        WINDOW["ready"] += 1
        if WINDOW["ready"] == self.environment.parsed_options.num_users:
            # The last one in: from now on the figures are journeys only, for a fixed time.
            self.environment.stats.reset_all()
            WINDOW["started"] = time.monotonic()
            ALL_IN.set()
            seconds = float(os.environ.get("YJS_LOADTEST_SECONDS", "60"))
            gevent.spawn_later(seconds, self.environment.runner.quit)
        ALL_IN.wait()

    @task
    def journey(self):
        self.n += 1
        answers = {**self.answers, "housing_fund.needed": self.n % 2 == 0}
        response = self.applicant.post_json(
            "/api/cases/", {"theme": "enterprise-opening", "answers": answers}, "提交 submit"
        )
        if response.status_code != 201:
            return
        case_no = response.json()["case_no"]
        for _ in range(MAX_ROUNDS):
            progressed = False
            for clerk in self.clerks:
                tasks = clerk.get("/api/tasks/", "待办 inbox").json().get("tasks", [])
                for item in tasks:
                    if item["case_no"] != case_no:
                        continue
                    name, payload = OUTCOMES[item["kind"]]
                    done = clerk.post_json(f"/api/tasks/{item['id']}/complete", payload, name)
                    if done.status_code != 200:
                        return
                    progressed = True
                    if item["kind"] == "delivery":
                        WINDOW["journeys"] += 1
                        return
            if not progressed:
                return
