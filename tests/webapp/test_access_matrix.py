"""Who may do what: every route of the app × every kind of user, one expected answer each.

The table below is the access policy (webapp/access_policy.py) written out per route. The
URL map is checked against it, so a new route fails the suite until someone decides, in a
row of the table, who may use it. Each (endpoint, method, actor) is its own test, run
against one shared world (built once for the module) and rolled back after every request,
so what one request changes (a grant, a logout, a publication) no other request sees.

Answers, as a user meets them:
- ok     the route let the user through: 2xx, a redirect (not to the login page), or a
         409/422 from a write the world does not allow (the access checks came first)
- login  anonymous: 401 JSON under /api/, a redirect to /login?next=… for pages
- 403    forbidden: the user's role does not serve the route's function
- 404    hidden: the function fits, but this case, task, file or draft is not theirs, and
         nothing is revealed about it
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy import Connection, select
from sqlalchemy.orm import sessionmaker

from tests.conftest import UserClient, _csrf_from
from webapp.accounts.users import DEMO_PASSWORD
from webapp.cases.case_forms import materials_to_hand_in
from webapp.clock import today
from webapp.models import (
    Case,
    CaseTask,
    ELicence,
    Instrument,
    MaterialFile,
    Message,
    ServicePoint,
    TaskStatus,
    User,
)
from webapp.notifications import delivery
from webapp.notifications.sms import LogSmsChannel
from webapp.themes.published import published_theme

from .conftest import enterprise_answers, form_fields

THEME = "enterprise-opening"
THEME_DIR = Path(__file__).resolve().parents[2] / "processes" / "themes" / THEME
BPMN = (THEME_DIR / "process.bpmn").read_text(encoding="utf-8")
DMN = (THEME_DIR / "guidance.dmn").read_text(encoding="utf-8")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
NEW_ID = "11010519491231002X"  # GB 11643's own example number
PROMISED = (today() + dt.timedelta(days=3)).isoformat()  # a 容缺 promise, within the case's

# The world the rows speak of: zhangsan's case (no 公积金, so HF has no task in it), taken
# in by the window with a 容缺 gap; its open task is SAMR's. samr is involved in the case,
# hf is an approver of an uninvolved department. The file is one SAMR's item asks for.
#
# endpoint                         method anonymous zhangsan lisi window samr hf analyst admin
ACCESS_TABLE = """
# Public: the hall (catalog, guidance previews, notices, 办件查询), logging in, the API
# description, health, static files. "/" is the hall for everyone, with a link home.
static                             GET    ok        ok       ok   ok     ok   ok ok      ok
health.healthz                     GET    ok        ok       ok   ok     ok   ok ok      ok
health.readyz                      GET    ok        ok       ok   ok     ok   ok ok      ok
# /metrics is not about accounts: a direct local request (as these are) or YJS_METRICS_TOKEN.
health.metrics                     GET    ok        ok       ok   ok     ok   ok ok      ok
api-docs.openapi_json              GET    ok        ok       ok   ok     ok   ok ok      ok
portal.home                        GET    ok        ok       ok   ok     ok   ok ok      ok
portal.theme_page                  GET    ok        ok       ok   ok     ok   ok ok      ok
portal.case_query                  GET    ok        ok       ok   ok     ok   ok ok      ok
# The number and query code open the case's progress for anyone (no personal data shown).
portal.case_query_result           POST   ok        ok       ok   ok     ok   ok ok      ok
# 证照核验: a licence number and the check code printed on it, for anyone (masked holder only).
portal.licence_check               GET    ok        ok       ok   ok     ok   ok ok      ok
portal.licence_check_result        POST   ok        ok       ok   ok     ok   ok ok      ok
auth.login                         GET    ok        ok       ok   ok     ok   ok ok      ok
auth.login                         POST   ok        ok       ok   ok     ok   ok ok      ok
notice.page                        GET    ok        ok       ok   ok     ok   ok ok      ok
# Applicants register themselves (real name, a mobile proven by an SMS code) and reset a
# forgotten password by the same channel: public, like logging in.
account.register                   GET    ok        ok       ok   ok     ok   ok ok      ok
account.register_code              POST   ok        ok       ok   ok     ok   ok ok      ok
account.register_submit            POST   ok        ok       ok   ok     ok   ok ok      ok
account.reset                      GET    ok        ok       ok   ok     ok   ok ok      ok
account.reset_code                 POST   ok        ok       ok   ok     ok   ok ok      ok
account.reset_submit               POST   ok        ok       ok   ok     ok   ok ok      ok
api_themes.notice                  GET    ok        ok       ok   ok     ok   ok ok      ok
# Any account.
auth.logout                        POST   login     ok       ok   ok     ok   ok ok      ok
auth.change_password               GET    login     ok       ok   ok     ok   ok ok      ok
auth.change_password               POST   login     ok       ok   ok     ok   ok ok      ok
api_themes.list_themes             GET    login     ok       ok   ok     ok   ok ok      ok
# 消息: one's own messages (zhangsan's "申请已收到" is his alone).
messages.index                     GET    login     ok       ok   ok     ok   ok ok      ok
messages.read_all                  POST   login     ok       ok   ok     ok   ok ok      ok
messages.read                      POST   login     ok       404  404    404  404 404    404

# Applying: applicants; a draft, a case and its files only their own.
applicant.home                     GET    login     ok       ok   403    403  403 403    403
applicant.apply                    GET    login     ok       ok   403    403  403 403    403
applicant.submit                   POST   login     ok       ok   403    403  403 403    403
applicant.save_draft               POST   login     ok       ok   403    403  403 403    403
api_cases.submit                   POST   login     ok       ok   403    403  403 403    403
applicant.continue_draft           GET    login     ok       404  403    403  403 403    403
applicant.case_page                GET    login     ok       404  403    403  403 403    403
applicant.correct                  GET    login     ok       404  403    403  403 403    403
applicant.resubmit                 POST   login     ok       404  403    403  403 403    403
applicant.withdraw                 POST   login     ok       404  403    403  403 403    403
# 共同申请 confirmation: a party of the case (zhangsan, the submitter, has nothing to confirm: 409).
applicant.confirm                  POST   login     ok       404  403    403  403 403    403
# 好差评: the case's own applicant (zhangsan's case is not decided yet: 422); staff never rate.
applicant.rate                     POST   login     ok       404  403    403  403 403    403
# 告知承诺书: signed by the case's own applicant (企业开办 has no such item: 422); staff never.
applicant.sign_promise             POST   login     ok       404  403    403  403 403    403
# 证照夹: an applicant's own wallet; a licence only its holder's (zhangsan's 营业执照).
applicant.licences                 GET    login     ok       ok   403    403  403 403    403
applicant.licence                  GET    login     ok       404  403    403  403 403    403
applicant.licence_pdf              GET    login     ok       404  403    403  403 403    403
# 撤销 of an e-licence: approvers of the department that issued it (SAMR); another
# department's approver meets a 404, the window (not an approver) a 403.
clerk.revoke_licence_form          GET    login     403      403  403    ok   404 403    403
clerk.revoke_licence               POST   login     403      403  403    ok   404 403    403
# The profile (identity, notification channels): applicants.
account.profile                    GET    login     ok       ok   403    403  403 403    403
account.profile                    POST   login     ok       ok   403    403  403 403    403
materials.upload                   POST   login     ok       404  403    403  403 403    403
materials.remove                   POST   login     ok       404  403    403  403 403    403
materials.declare_paper            POST   login     ok       404  403    403  403 403    403
# Files attached while filling the one form go to the applicant's own draft of the theme.
materials.draft_materials          POST   login     ok       ok   403    403  403 403    403

# A case's progress and files: its applicant, the front desk, an involved approver. Open to
# any account, so whoever may not see the case (analysts and admins too) meets a 404.
api_cases.get_case                 GET    login     ok       404  ok     ok   404 404    404
materials.show                     GET    login     ok       404  ok     ok   404 404    404
# The case's instruments (文书), as the case: its applicant and the clerks who may see it.
instruments.show                   GET    login     ok       404  ok     ok   404 404    404
instruments.pdf                    GET    login     ok       404  ok     ok   404 404    404

# The workbench: clerks. A case when their department is involved (the front desk: always),
# a task when it is their department's: the window's clerks do not act on SAMR's task.
clerk.inbox                        GET    login     403      403  ok     ok   ok  403    403
api_tasks.inbox_list               GET    login     403      403  ok     ok   ok  403    403
clerk.case_page                    GET    login     403      403  ok     ok   404 403    403
clerk.diagram                      GET    login     403      403  ok     ok   404 403    403
clerk.comment                      POST   login     403      403  ok     ok   404 403    403
clerk.task_page                    GET    login     403      403  404    ok   404 403    403
clerk.act                          POST   login     403      403  404    ok   404 403    403
clerk.claim                        POST   login     403      403  404    ok   404 403    403
clerk.unclaim                      POST   login     403      403  404    ok   404 403    403
clerk.assign                       POST   login     403      403  404    ok   404 403    403
api_tasks.claim                    POST   login     403      403  404    ok   404 403    403
api_tasks.unclaim                  POST   login     403      403  404    ok   404 403    403
api_tasks.assign                   POST   login     403      403  404    ok   404 403    403
api_tasks.complete                 POST   login     403      403  404    ok   404 403    403
api_tasks.action_grant             POST   login     403      403  404    ok   404 403    403
api_tasks.action_deny              POST   login     403      403  404    ok   404 403    403
# The front desk's actions too: samr gets past the access checks to a 422 (not an
# acceptance or delivery task), the window's clerks not even that far.
api_tasks.action_accept            POST   login     403      403  404    ok   404 403    403
api_tasks.action_accept_with_gap   POST   login     403      403  404    ok   404 403    403
api_tasks.action_correct           POST   login     403      403  404    ok   404 403    403
api_tasks.action_refuse            POST   login     403      403  404    ok   404 403    403
api_tasks.action_deliver           POST   login     403      403  404    ok   404 403    403
api_tasks.action_rectify           POST   login     403      403  404    ok   404 403    403
api_tasks.action_reply_urge        POST   login     403      403  404    ok   404 403    403
# The back office (back_office/): levels, 特别程序, 延期, 退回补正, 事后核查 — the task's
# department (a 延期 approval or a higher level refuses samr with 403 or 409 later).
api_tasks.action_submit_level      POST   login     403      403  404    ok   404 403    403
api_tasks.action_send_back         POST   login     403      403  404    ok   404 403    403
api_tasks.action_start_special     POST   login     403      403  404    ok   404 403    403
api_tasks.action_end_special       POST   login     403      403  404    ok   404 403    403
api_tasks.action_request_extension POST   login     403      403  404    ok   404 403    403
api_tasks.action_approve_extension POST   login     403      403  404    ok   404 403    403
api_tasks.action_reject_extension POST   login     403      403  404    ok   404 403    403
api_tasks.action_request_supplement POST   login     403      403  404    ok   404 403    403
api_tasks.action_supplement_received POST   login     403      403  404    ok   404 403    403
api_tasks.action_confirm_promise   POST   login     403      403  404    ok   404 403    403
api_tasks.action_refute_promise    POST   login     403      403  404    ok   404 403    403
# 容缺材料 arrive at the window: the front desk only, not the approvers.
clerk.gap_received                 POST   login     403      403  ok     403  403 403    403

# 帮办代办: the front desk (and 帮代办员, tests/webapp/test_service_network.py) submit for a
# party; the form posted empty is a 422 past the access checks.
assist.home                        GET    login     403      403  ok     403  403 403    403
assist.apply                       GET    login     403      403  ok     403  403 403    403
assist.submit                      POST   login     403      403  ok     403  403 403    403
# 材料流转单: clerks list those of their point or departments; signing for one needs it to
# be addressed to the signer's department (the world has none: 404 for every clerk).
network.transfers                  GET    login     403      403  ok     ok   ok  403    403
network.receive_transfer           POST   login     403      403  404    404  404 403    403
# The service network's points and who works where: admins only.
network.points                     GET    login     403      403  403    403  403 403    ok
network.create_point               POST   login     403      403  403    403  403 403    ok
network.update_point               POST   login     403      403  403    403  403 403    ok
network.place_staff                POST   login     403      403  403    403  403 403    ok

# Modelling: analysts, and admins (who publish what is modelled).
modeler.themes_list                GET    login     403      403  403    403  403 ok     ok
modeler.edit                       GET    login     403      403  403    403  403 ok     ok
modeler.diagram                    GET    login     403      403  403    403  403 ok     ok
modeler.guidance                   GET    login     403      403  403    403  403 ok     ok
modeler.guidance_table             GET    login     403      403  403    403  403 ok     ok
modeler.simulation                 GET    login     403      403  403    403  403 ok     ok
api_themes.save_draft              POST   login     403      403  403    403  403 ok     ok
api_themes.save_guidance           POST   login     403      403  403    403  403 ok     ok

# Publishing: admins only.
admin.themes_list                  GET    login     403      403  403    403  403 403    ok
admin.figures                      GET    login     403      403  403    403  403 403    ok
admin.publish                      POST   login     403      403  403    403  403 403    ok
# Reviewing what a publication changes, confirming it with a reason, rolling back, moving
# running cases to the newest version: admins only.
publications.review                GET    login     403      403  403    403  403 403    ok
publications.publish               POST   login     403      403  403    403  403 403    ok
publications.diagram               GET    login     403      403  403    403  403 403    ok
publications.roll_back             POST   login     403      403  403    403  403 403    ok
publications.cases                 GET    login     403      403  403    403  403 403    ok
publications.move                  POST   login     403      403  403    403  403 403    ok
# The item catalog edited in the browser: admins only (analysts model diagrams, not items).
catalog.items                      GET    login     403      403  403    403  403 403    ok
catalog.edit                       GET    login     403      403  403    403  403 403    ok
catalog.save                       POST   login     403      403  403    403  403 403    ok
catalog.discard                    POST   login     403      403  403    403  403 403    ok
catalog.export                     GET    login     403      403  403    403  403 403    ok
api_themes.publish                 POST   login     403      403  403    403  403 403    ok
# Accounts: admins list them and reset passwords; nobody else sees who has an account.
admin.users                        GET    login     403      403  403    403  403 403    ok
admin.reset_password               POST   login     403      403  403    403  403 403    ok
admin.calendar                     GET    login     403      403  403    403  403 403    ok
admin.import_calendar              POST   login     403      403  403    403  403 403    ok
# 效能监督: supervisors only (their own column: SUPERVISOR_TABLE below).
supervision.dashboard              GET    login     403      403  403    403  403 403    403
supervision.report_xlsx            GET    login     403      403  403    403  403 403    403
supervision.report_pdf             GET    login     403      403  403    403  403 403    403
supervision.case_page              GET    login     403      403  403    403  403 403    403
supervision.urge                   POST   login     403      403  403    403  403 403    403
"""

# The supervisor (效能监督) on every route, kept as a table of its own so that a route added
# to the table above fails the suite until someone also decides what a supervisor gets.
# They read every case's progress on their own pages, never its data, files, instruments or
# the workbench, and act on no task; 催办 is their only write.
SUPERVISOR_TABLE = """
static                             GET    ok
health.healthz                     GET    ok
health.readyz                      GET    ok
health.metrics                     GET    ok
api-docs.openapi_json              GET    ok
portal.home                        GET    ok
portal.theme_page                  GET    ok
portal.case_query                  GET    ok
portal.case_query_result           POST   ok
portal.licence_check               GET    ok
portal.licence_check_result        POST   ok
auth.login                         GET    ok
auth.login                         POST   ok
notice.page                        GET    ok
account.register                   GET    ok
account.register_code              POST   ok
account.register_submit            POST   ok
account.reset                      GET    ok
account.reset_code                 POST   ok
account.reset_submit               POST   ok
api_themes.notice                  GET    ok
auth.logout                        POST   ok
auth.change_password               GET    ok
auth.change_password               POST   ok
api_themes.list_themes             GET    ok
messages.index                     GET    ok
messages.read_all                  POST   ok
messages.read                      POST   404
applicant.home                     GET    403
applicant.apply                    GET    403
applicant.submit                   POST   403
applicant.save_draft               POST   403
api_cases.submit                   POST   403
applicant.continue_draft           GET    403
applicant.case_page                GET    403
applicant.correct                  GET    403
applicant.resubmit                 POST   403
applicant.withdraw                 POST   403
applicant.confirm                  POST   403
applicant.rate                     POST   403
applicant.licences                 GET    403
applicant.licence                  GET    403
applicant.licence_pdf              GET    403
clerk.revoke_licence_form          GET    403
clerk.revoke_licence               POST   403
assist.home                        GET    403
assist.apply                       GET    403
assist.submit                      POST   403
network.transfers                  GET    403
network.receive_transfer           POST   403
network.points                     GET    403
network.create_point               POST   403
network.update_point               POST   403
network.place_staff                POST   403
account.profile                    GET    403
account.profile                    POST   403
materials.upload                   POST   403
materials.remove                   POST   403
materials.declare_paper            POST   403
materials.draft_materials          POST   403
# The case's data, files and instruments are not theirs: the progress page is.
api_cases.get_case                 GET    404
materials.show                     GET    404
instruments.show                   GET    404
instruments.pdf                    GET    404
clerk.inbox                        GET    403
api_tasks.inbox_list               GET    403
clerk.case_page                    GET    403
clerk.diagram                      GET    403
clerk.comment                      POST   403
clerk.task_page                    GET    403
clerk.act                          POST   403
clerk.claim                        POST   403
clerk.unclaim                      POST   403
clerk.assign                       POST   403
api_tasks.claim                    POST   403
api_tasks.unclaim                  POST   403
api_tasks.assign                   POST   403
api_tasks.complete                 POST   403
api_tasks.action_grant             POST   403
api_tasks.action_deny              POST   403
api_tasks.action_accept            POST   403
api_tasks.action_accept_with_gap   POST   403
api_tasks.action_correct           POST   403
api_tasks.action_refuse            POST   403
api_tasks.action_deliver           POST   403
api_tasks.action_rectify           POST   403
api_tasks.action_reply_urge        POST   403
api_tasks.action_submit_level      POST   403
api_tasks.action_send_back         POST   403
api_tasks.action_start_special     POST   403
api_tasks.action_end_special       POST   403
api_tasks.action_request_extension POST   403
api_tasks.action_approve_extension POST   403
api_tasks.action_reject_extension  POST   403
api_tasks.action_request_supplement POST  403
api_tasks.action_supplement_received POST 403
api_tasks.action_confirm_promise   POST   403
api_tasks.action_refute_promise    POST   403
applicant.sign_promise             POST   403
clerk.gap_received                 POST   403
modeler.themes_list                GET    403
modeler.edit                       GET    403
modeler.diagram                    GET    403
modeler.guidance                   GET    403
modeler.guidance_table             GET    403
modeler.simulation                 GET    403
api_themes.save_draft              POST   403
api_themes.save_guidance           POST   403
admin.themes_list                  GET    403
admin.figures                      GET    403
admin.publish                      POST   403
publications.review                GET    403
publications.publish               POST   403
publications.diagram               GET    403
publications.roll_back             POST   403
publications.cases                 GET    403
publications.move                  POST   403
catalog.items                      GET    403
catalog.edit                       GET    403
catalog.save                       POST   403
catalog.discard                    POST   403
catalog.export                     GET    403
api_themes.publish                 POST   403
admin.users                        GET    403
admin.reset_password               POST   403
admin.calendar                     GET    403
admin.import_calendar              POST   403
# Without a month the report is refused with 422 after the access checks let it through.
supervision.dashboard              GET    ok
supervision.report_xlsx            GET    ok
supervision.report_pdf             GET    ok
supervision.case_page              GET    ok
supervision.urge                   POST   ok
"""

ACTORS = ("anonymous", "zhangsan", "lisi", "window", "samr", "hf", "analyst", "admin")
OUTCOMES = {"ok", "login", "403", "404"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _parse(table: str, actors: tuple[str, ...] = ACTORS) -> dict[tuple[str, str], dict[str, str]]:
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in table.splitlines():
        line = line.split("#", 1)[0]  # comments say why a row is as it is
        if not line.strip():
            continue
        endpoint, method, *cells = line.split()
        assert len(cells) == len(actors), f"{endpoint} {method}: one answer per actor"
        assert set(cells) <= OUTCOMES, f"{endpoint} {method}: unknown answer in {cells}"
        assert (endpoint, method) not in rows, f"{endpoint} {method}: two rows"
        rows[(endpoint, method)] = dict(zip(actors, cells, strict=True))
    return rows


ACCESS = _parse(ACCESS_TABLE)
SUPERVISOR_ACCESS = _parse(SUPERVISOR_TABLE, ("supervisor",))
LOGGED_IN = (*ACTORS[1:], "supervisor")


# --- the world ------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    app: Flask
    connection: Connection  # the module's one connection; each test runs in a savepoint of it
    cookies: dict[str, str]  # actor → session cookie (anonymous: just the CSRF secret)
    csrf: dict[str, str]
    case_no: str
    task_id: int  # SAMR's open task
    file_id: int
    material: str  # the file's material code
    gap_id: int
    gap_material: str
    application_draft_id: int
    theme_draft_id: int
    samr_colleague_id: int  # someone SAMR's task may be handed to (转交)
    query_code: str  # the case's 查询码 (its receipt)
    instrument_number: str  # the case's 受理通知书
    message_id: int  # zhangsan's in-app message about his case
    licence_id: int  # an e-licence in zhangsan's wallet
    licence_number: str
    licence_code: str  # its check code (核验码)
    point_id: int  # the county hall (service network)

    def url_values(self, endpoint: str, arguments: set[str]) -> dict:
        values = {
            "case_no": self.case_no,
            "task_id": self.task_id,
            "file_id": self.file_id,
            "gap_id": self.gap_id,
            "code": THEME,
            "theme_code": THEME,
            "filename": "yjs.css",
            "user_id": self.samr_colleague_id,
            # Two kinds of number share the name: an instrument's (文书编号) and a theme
            # version's (rolled back to).
            "number": self.instrument_number if endpoint.startswith("instruments.") else 1,
            "message_id": self.message_id,
            "transfer_id": 2**31 - 1,  # none in this world (see the rows)
            "point_id": self.point_id,
            "licence_id": self.licence_id,
            "item_code": "SAMR-QYSLDJ",
            "which": "next",
            # Two kinds of draft share the name: the diagram drafts admins publish, and an
            # applicant's application draft.
            "draft_id": self.theme_draft_id
            if endpoint.startswith(("admin.", "api_themes."))
            else self.application_draft_id,
        }
        return {name: values[name] for name in arguments}


@pytest.fixture(scope="module")
def world(app) -> Iterator[World]:
    """One world for the whole module, inside a transaction rolled back at its end (the
    conftest `db` fixture's isolation, for a module instead of a test)."""
    database = app.extensions["yjs_db"]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.session_factory
    database.session_factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield _build_world(app, connection, database.session_factory)
    finally:
        database.session_factory = original
        outer.rollback()
        connection.close()


def _build_world(app: Flask, connection: Connection, session_factory) -> World:
    """The world, made the way its people make it: through the app's own routes."""
    clients = {a: UserClient(app.test_client(), a) for a in LOGGED_IN}
    for client in clients.values():
        client.login(DEMO_PASSWORD)
    anonymous = app.test_client()  # a session with a CSRF secret, and no user
    csrf = {a: c.csrf for a, c in clients.items()}
    csrf["anonymous"] = _csrf_from(anonymous.get("/login").get_data(as_text=True))
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookies = {a: c.client.get_cookie(cookie_name).value for a, c in clients.items()}
    cookies["anonymous"] = anonymous.get_cookie(cookie_name).value
    zhangsan, window = clients["zhangsan"], clients["window"]

    submitted = zhangsan.post_json(
        "/api/cases/", {"theme": THEME, "answers": enterprise_answers(housing_fund=False)}
    )
    assert submitted.status_code == 201, submitted.get_json()
    case_no = submitted.get_json()["case_no"]

    # Each look-up in a session of its own, closed before the next request: a session left
    # open would hold a savepoint that the requests' writes nest in, and its close would
    # roll them back.
    with session_factory() as session:
        case = _case(session, case_no)
        samr_items = {
            i.code for i in published_theme(case.theme_version).items if i.department == "SAMR"
        }
        to_hand_in = materials_to_hand_in(case).values()
        # A material SAMR's item asks for, so samr may open the file; a 容缺 one for the gap.
        material = next(m.code for m in to_hand_in if samr_items & set(m.asked_by))
        gap_material = next(m.code for m in to_hand_in if m.tolerance and m.code != material)
        (acceptance,) = [t for t in case.tasks if t.status == TaskStatus.OPEN]
        acceptance_id = acceptance.id
        samr_colleague_id = session.scalar(select(User.id).where(User.username == "samr2"))

    # Uploaded before acceptance: afterwards the material set is fixed.
    uploaded = zhangsan.client.post(
        f"/applicant/cases/{case_no}/materials",
        data={"csrf_token": zhangsan.csrf, "material": material, "file": _pdf()},
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:500]
    # 容缺受理: accepted, with one material promised for later, so the case has a gap.
    accepted = window.post_json(
        f"/api/tasks/{acceptance_id}/actions/accept_with_gap",
        {"gaps": [{"material": gap_material, "promised_date": PROMISED}]},
    )
    assert accepted.status_code == 200, accepted.get_json()
    # Saved after the submission, which consumes the applicant's draft of the theme.
    saved = zhangsan.post_form(
        f"/applicant/apply/{THEME}/draft", data=form_fields(enterprise_answers())
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    theme_draft = clients["analyst"].post_xml(f"/api/themes/{THEME}/drafts", BPMN)
    assert theme_draft.status_code == 201, theme_draft.get_json()

    with session_factory() as session:
        while delivery.deliver_next(session, LogSmsChannel(app.config["SMS_LOG_FILE"])):
            pass
        session.commit()
        message_id = session.scalars(
            select(Message.id)
            .join(User, User.id == Message.user_id)
            .where(User.username == "zhangsan")
        ).first()
    # An e-licence in zhangsan's wallet, as an earlier case would have left it: SAMR's task
    # here must stay open (granting it is what other rows try).
    with session_factory() as session:
        case = _case(session, case_no)
        licence = ELicence(
            holder_id=case.applicant_id, case_id=case.id, item_code="SAMR-QYSLDJ",
            name="营业执照", number=GRANT["result_no"], check_code="ABC234",
            department_id=next(t.department_id for t in case.tasks if t.department.code == "SAMR"),
        )  # fmt: skip
        session.add(licence)
        session.commit()
        licence_id = licence.id
    with session_factory() as session:
        case = _case(session, case_no)
        (samr_task,) = [
            t for t in case.tasks if t.status == TaskStatus.OPEN and t.department.code == "SAMR"
        ]
        # hf's row is "an approver the case does not involve": keep the world that way.
        assert "HF" not in {t.department.code for t in case.tasks}
        (file_id,) = session.scalars(select(MaterialFile.id).where(MaterialFile.case_id == case.id))
        (gap,) = case.gaps
        return World(
            app=app,
            connection=connection,
            cookies=cookies,
            csrf=csrf,
            case_no=case_no,
            task_id=samr_task.id,
            file_id=file_id,
            material=material,
            gap_id=gap.id,
            gap_material=gap_material,
            application_draft_id=int(saved.headers["Location"].rsplit("/", 1)[-1]),
            theme_draft_id=theme_draft.get_json()["draft_id"],
            samr_colleague_id=samr_colleague_id,
            query_code=case.query_code,
            instrument_number=session.scalar(
                select(Instrument.number).where(
                    Instrument.case_id == case.id, Instrument.kind == "acceptance"
                )
            ),
            message_id=message_id,
            licence_id=licence_id,
            licence_number=GRANT["result_no"],
            licence_code="ABC234",
            point_id=session.scalar(select(ServicePoint.id).where(ServicePoint.code == "BL-XZFW")),
        )


def _case(session, case_no: str) -> Case:
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _pdf():
    return (io.BytesIO(PDF), "材料.pdf", "application/pdf")


@pytest.fixture
def fresh(world) -> Iterator[World]:
    """The world as built: whatever a request writes is rolled back after the test."""
    savepoint = world.connection.begin_nested()
    # Most writes here touch SAMR's task (claim, grant, deny, assign); had one outlived its
    # test, this one would start from another world and its answer would mean little.
    task = world.connection.execute(
        select(CaseTask.status, CaseTask.claimed_by_id).where(CaseTask.id == world.task_id)
    ).one()
    assert tuple(task) == (TaskStatus.OPEN, None), "a previous test's writes were kept"
    try:
        yield world
    finally:
        savepoint.rollback()


# --- requests -------------------------------------------------------------------------

# What each write sends: enough for the route to get past input checks to its access
# checks (an invalid body would be refused with 422 before a 404 could be given).
Body = Callable[[World], dict]
GRANT = {"opinion": "同意", "result_no": "91441322MA0000001W"}  # SAMR's result: 营业执照
BODIES: dict[str, Body] = {
    "auth.login": lambda w: {"form": {"username": "lisi", "password": DEMO_PASSWORD}},
    "portal.case_query_result": lambda w: {"form": {"no": w.case_no, "code": w.query_code}},
    "portal.licence_check_result": lambda w: {
        "form": {"no": w.licence_number, "code": w.licence_code}
    },
    "applicant.withdraw": lambda w: {"form": {"reason": "不办了"}},
    "clerk.revoke_licence": lambda w: {"form": {"reason": "以欺骗手段取得", "confirm": "true"}},
    "applicant.rate": lambda w: {"form": {"scope": "case", "level": "satisfied"}},
    "applicant.sign_promise": lambda w: {"form": {"item": "SAMR-QYSLDJ"}},
    "account.register_code": lambda w: {
        "form": {"name": "赵新", "id_number": NEW_ID, "mobile": "13800138000"}
    },
    # A code never sent: refused with 422 once the input is read.
    "account.register_submit": lambda w: {
        "form": {
            "name": "赵新",
            "id_number": NEW_ID,
            "mobile": "13800138000",
            "code": "123456",
            "password": "a-new-password-2026",
            "confirm_password": "a-new-password-2026",
        }
    },
    "account.reset_code": lambda w: {"form": {"mobile": "13800138000"}},
    "account.reset_submit": lambda w: {
        "form": {
            "mobile": "13800138000",
            "code": "123456",
            "new_password": "a-new-password-2026",
            "confirm_password": "a-new-password-2026",
        }
    },
    "account.profile": lambda w: {"form": {"channels": "in_app"}},
    "materials.upload": lambda w: {"form": {"material": w.material, "file": _pdf()}},
    "materials.declare_paper": lambda w: {"form": {"material": w.material, "on_paper": "true"}},
    "materials.draft_materials": lambda w: {
        "form": {"upload": w.material, f"file.{w.material}": _pdf()}
    },
    "clerk.act": lambda w: {"form": {"action": "grant", **GRANT}},
    "clerk.assign": lambda w: {"form": {"assignee": str(w.samr_colleague_id)}},
    "clerk.comment": lambda w: {"form": {"body": "请核对经营范围"}},
    # A year the calendar cannot take yet (not the next one): refused with 422, nothing kept.
    "admin.import_calendar": lambda w: {"form": {"year": "2099", "holidays": "2099-01-01 元旦"}},
    # A wrong current password: refused with 422 after the access checks let it through.
    "auth.change_password": lambda w: {
        "form": {
            "current_password": "not-the-password",
            "new_password": "a-new-password-2026",
            "confirm_password": "a-new-password-2026",
        }
    },
    "api_themes.save_draft": lambda w: {"xml": BPMN},
    "api_themes.save_guidance": lambda w: {"xml": DMN},
    "api_cases.submit": lambda w: {
        "json": {"theme": THEME, "answers": enterprise_answers(housing_fund=False)}
    },
    "api_tasks.complete": lambda w: {"json": {"action": "grant", **GRANT}},
    "api_tasks.action_accept": lambda w: {"json": {}},
    "api_tasks.action_accept_with_gap": lambda w: {
        "json": {"gaps": [{"material": w.gap_material, "promised_date": PROMISED}]}
    },
    "api_tasks.action_correct": lambda w: {"json": {"note": "请补正"}},
    "api_tasks.action_refuse": lambda w: {"json": {"reason": "不符合条件"}},
    "api_tasks.action_grant": lambda w: {"json": GRANT},
    "api_tasks.action_deny": lambda w: {"json": {"reason": "不符合条件"}},
    "api_tasks.action_deliver": lambda w: {"json": {"method": "window"}},
    "api_tasks.action_rectify": lambda w: {
        "json": {
            "contact": "电话联系",
            "finding": "属实",
            "correction": "已改进",
            "reply": "已整改",
        }
    },
    "api_tasks.action_submit_level": lambda w: {"json": {"proposal": "grant", "opinion": "同意"}},
    "api_tasks.action_send_back": lambda w: {"json": {"reason": "材料需核实"}},
    "api_tasks.action_start_special": lambda w: {
        "json": {"kind": "现场勘查", "reason": "核查经营场所", "expected_days": 3}
    },
    "api_tasks.action_end_special": lambda w: {"json": {"result": "符合要求"}},
    "api_tasks.action_request_extension": lambda w: {"json": {"days": 5, "reason": "情况复杂"}},
    "api_tasks.action_approve_extension": lambda w: {"json": {}},
    "api_tasks.action_reject_extension": lambda w: {"json": {"reason": "无需延期"}},
    "api_tasks.action_request_supplement": lambda w: {"json": {"materials": [], "note": "补"}},
    "api_tasks.action_supplement_received": lambda w: {"json": {"on_paper": True}},
    "api_tasks.action_confirm_promise": lambda w: {"json": {"finding": "属实"}},
    "api_tasks.action_refute_promise": lambda w: {"json": {"finding": "不实"}},
    "api_tasks.assign": lambda w: {"json": {"assignee": w.samr_colleague_id}},
    "api_tasks.action_reply_urge": lambda w: {"json": {"reply": "已加快办理"}},
    # 催办 of SAMR's open task (rolled back after the test like every write).
    "supervision.urge": lambda w: {"form": {"message": "已超期，请尽快办理"}},
}


def _send(world: World, actor: str, method: str, url: str, body: dict):
    client = world.app.test_client()  # a fresh browser: a logout here logs nobody else out
    client.set_cookie(world.app.config["SESSION_COOKIE_NAME"], world.cookies[actor])
    token = world.csrf[actor]
    # Buffered: a streamed response (a static file) would keep its file open.
    send = partial(client.open, url, method=method, buffered=True)
    if "json" in body:
        return send(json=body["json"], headers={"X-CSRFToken": token})
    if "xml" in body:
        xml = body["xml"].encode("utf-8")
        return send(data=xml, content_type="application/xml", headers={"X-CSRFToken": token})
    if "form" in body:
        return send(data={**body["form"], "csrf_token": token})
    return send()


def _answer(response, url: str) -> str:
    """The response as one of the table's answers, or what else it was."""
    status = response.status_code
    if status == 401 and url.startswith("/api/"):
        assert response.get_json()["message"] == "请先登录"
        return "login"
    if status == 302:
        target = urlsplit(response.headers["Location"])
        if target.path == "/login" and parse_qs(target.query).get("next") == [url]:
            return "login"
    if status in (403, 404):
        return str(status)
    if status in (200, 201, 302, 409, 422):
        return "ok"
    return f"unexpected {status}"


# --- the tests ------------------------------------------------------------------------


def _cases():
    for (endpoint, method), row in ACCESS.items():
        row = {**row, **SUPERVISOR_ACCESS.get((endpoint, method), {})}
        for actor, expected in row.items():
            yield pytest.param(endpoint, method, actor, expected, id=f"{endpoint}-{method}-{actor}")


@pytest.mark.parametrize(("endpoint", "method", "actor", "expected"), list(_cases()))
def test_access(fresh, endpoint, method, actor, expected):
    # One URL per (endpoint, method): a second URL for a view would need its own look.
    (rule,) = [r for r in fresh.app.url_map.iter_rules(endpoint) if method in r.methods]
    with fresh.app.test_request_context():
        url = url_for(endpoint, **fresh.url_values(endpoint, set(rule.arguments)))
    if endpoint in BODIES:
        body = BODIES[endpoint](fresh)
    elif method == "GET":
        body = {}
    else:  # a write with nothing to say still carries its CSRF token
        body = {"json": {}} if url.startswith("/api/") else {"form": {}}
    response = _send(fresh, actor, method, url, body)
    answer = _answer(response, url)
    assert answer == expected, (
        f"{method} {url} as {actor}: expected {expected}, got {answer} "
        f"({response.status_code} {response.get_data(as_text=True)[:300]!r})"
    )


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


def test_every_route_has_a_row(app):
    missing = sorted(_routes(app) - ACCESS.keys())
    assert not missing, "a new route needs a row in the access table: " + ", ".join(
        f"{endpoint} {method}" for endpoint, method in missing
    )


def test_every_route_has_a_supervisor_row(app):
    missing = sorted(_routes(app) - SUPERVISOR_ACCESS.keys())
    assert not missing, "a new route needs a row in the supervisor's table: " + ", ".join(
        f"{endpoint} {method}" for endpoint, method in missing
    )


def test_every_row_is_a_route(app):
    stale = sorted((ACCESS.keys() | SUPERVISOR_ACCESS.keys()) - _routes(app))
    assert not stale, "the access table has rows for routes that are gone: " + ", ".join(
        f"{endpoint} {method}" for endpoint, method in stale
    )
