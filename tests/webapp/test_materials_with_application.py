"""Materials as part of the application: uploaded while filling the one form (kept with the
draft, moved to the case at submission) or declared 窗口提交纸质件; the front desk cannot
受理 while a required material is neither uploaded, received on paper nor 容缺; 补正 and
容缺 materials handed in online; every state of a case says what to do next."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from webapp.clock import today
from webapp.models import (
    ApplicationDraft,
    AuditEvent,
    Case,
    CaseStatus,
    MaterialFile,
    PaperMaterial,
)

from .conftest import enterprise_answers, form_fields

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
THEMES = Path(__file__).resolve().parents[2] / "processes" / "themes"
APPLY = "/applicant/apply/enterprise-opening"
# The five materials the shipped 企业开办 sample (with 公积金) must hand in, from the catalog.
REQUIRED = {"CL-GSZC", "CL-ZSSYZM", "CL-GDZTZGZM", "CL-FDDBRRZWJ", "CL-CBZGHMC"}
LIMITS = "单个文件不能超过 5 MB，仅限 PDF、PNG、JPEG"


def _multipart(client, url, fields, files):
    """POST a multipart body built here, in memory (werkzeug's test client would spool a
    file to a temporary file it never closes: a ResourceWarning, an error in this suite)."""
    boundary = "yjs-test-boundary"
    parts = []
    for key, value in [("csrf_token", client.csrf), *fields]:
        header = f'Content-Disposition: form-data; name="{key}"'
        parts.append(f"--{boundary}\r\n{header}\r\n\r\n{value}\r\n".encode())
    for key, (name, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return client.client.post(
        url, data=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )


def _without_declarations(answers: dict) -> dict:
    return {k: v for k, v in answers.items() if k != "materials.on_paper"}


def _case(session, case_no) -> Case:
    session.expire_all()
    return session.scalars(select(Case).where(Case.case_no == case_no)).one()


def _acceptance_task(window, case_no):
    return next(t for t in window.get("/api/tasks/").get_json()["tasks"] if t["case_no"] == case_no)


def _submit(login, answers) -> str:
    response = login("zhangsan").post_json(
        "/api/cases/", {"theme": "enterprise-opening", "answers": answers}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["case_no"]


# --- while filling the one form -------------------------------------------------------


def test_a_file_uploaded_while_filling_stays_with_the_draft_and_moves_to_the_case(login, session):
    applicant = login("zhangsan")
    answers = _without_declarations(enterprise_answers())
    # 公司章程 uploaded in the form (the 上传 button posts the whole form), the rest on paper.
    paper = sorted(REQUIRED - {"CL-GSZC"})
    fields = form_fields(answers) + [("materials.on_paper", c) for c in paper]
    uploaded = _multipart(
        applicant,
        f"{APPLY}/materials",
        [*fields, ("upload", "CL-GSZC")],
        {"file.CL-GSZC": ("公司章程.pdf", PDF)},
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:300]
    assert re.search(r"/applicant/drafts/\d+#materials$", uploaded.headers["Location"])

    draft = session.scalars(select(ApplicationDraft)).one()
    (row,) = session.scalars(select(MaterialFile).where(MaterialFile.draft_id == draft.id))
    assert (row.case_id, row.material_code, row.filename) == (None, "CL-GSZC", "公司章程.pdf")
    assert draft.answers["materials.on_paper"] == paper  # the declarations are kept too
    # The draft's file is its applicant's alone.
    assert applicant.get(f"/materials/{row.id}").data == PDF
    assert login("lisi").get(f"/materials/{row.id}").status_code == 404
    assert login("window").get(f"/materials/{row.id}").status_code == 404

    # Continuing the draft shows the file and the ticked declarations.
    page = applicant.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "公司章程.pdf" in page
    for code in paper:
        assert f'name="materials.on_paper" value="{code}" checked' in page

    submitted = applicant.post_form(APPLY, fields)
    assert submitted.status_code == 302, submitted.get_data(as_text=True)[:300]
    case_no = submitted.headers["Location"].rsplit("/", 1)[-1]
    case = _case(session, case_no)
    session.refresh(row)
    assert (row.case_id, row.draft_id) == (case.id, None)
    assert session.scalars(select(ApplicationDraft)).all() == []
    declared = session.scalars(select(PaperMaterial).where(PaperMaterial.case_id == case.id))
    assert sorted(p.material_code for p in declared) == paper


def test_a_wrong_file_is_refused_inline_naming_the_limits_and_nothing_typed_is_lost(login, session):
    applicant = login("zhangsan")
    answers = _without_declarations(enterprise_answers())
    response = _multipart(
        applicant,
        f"{APPLY}/materials",
        [*form_fields(answers), ("upload", "CL-GSZC")],
        {"file.CL-GSZC": ("章程.docx", b"PK\x03\x04 a Word document")},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    material = re.search(
        r'<div class="material[^"]*" data-material="CL-GSZC">.*?data-file-error[^>]*>[^<]*</p>',
        html,
        re.S,
    ).group(0)
    assert "field-error" in material and LIMITS in material
    assert 'value="博罗县青禾餐饮管理有限公司"' in html
    assert session.scalars(select(MaterialFile)).all() == []


def test_the_form_and_the_case_page_name_the_limits_and_check_files_in_the_browser(login):
    applicant = login("zhangsan")
    page = applicant.get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    assert LIMITS in page
    assert 'accept="application/pdf,image/png,image/jpeg' in page
    assert 'data-max-bytes="5242880"' in page
    assert "dist/materials.js" in page


def test_submission_needs_each_required_material_uploaded_or_declared_on_paper(login):
    response = login("zhangsan").post_json(
        "/api/cases/",
        {"theme": "enterprise-opening", "answers": _without_declarations(enterprise_answers())},
    )
    assert response.status_code == 422
    body = response.get_json()
    keys = {d["key"] for d in body["errors"]}
    assert keys == {f"material:{c}" for c in REQUIRED}
    assert "公司章程" in str(body["errors"])


@pytest.mark.parametrize(
    "theme", ["enterprise-opening", "restaurant-opening", "second-hand-housing", "newborn"]
)
def test_each_sample_application_is_a_case_the_front_desk_can_accept(login, register, theme):
    answers = yaml.safe_load((THEMES / theme / "sample-application.yaml").read_text("utf-8"))
    applicant = login("zhangsan")
    if theme == "second-hand-housing":
        # 共同申请: a buyer submits with their own account, a seller confirms with theirs.
        buyer, seller = answers["buyers"][0], answers["sellers"][0]
        applicant = register(buyer["name"], buyer["id_number"], buyer["mobile"])
        seller_account = register(seller["name"], seller["id_number"], seller["mobile"])
    submitted = applicant.post_json("/api/cases/", {"theme": theme, "answers": answers})
    assert submitted.status_code == 201, submitted.get_json()
    case_no = submitted.get_json()["case_no"]
    if theme == "second-hand-housing":
        confirmed = seller_account.post_form(f"/applicant/cases/{case_no}/confirm")
        assert confirmed.status_code == 302
    window = login("window")
    accepted = window.post_json(
        f"/api/tasks/{_acceptance_task(window, case_no)['id']}/complete", {}
    )
    assert accepted.status_code == 200, accepted.get_json()


# --- at the front desk ----------------------------------------------------------------


def test_the_front_desk_cannot_accept_while_a_required_material_is_absent(login, session):
    case_no = _submit(login, enterprise_answers())  # everything declared on paper
    window = login("window")
    task = _acceptance_task(window, case_no)

    # The clerk has only two of the five papers on the desk.
    refused = window.post_json(
        f"/api/tasks/{task['id']}/complete",
        {"action": "accept", "paper_received": ["CL-GSZC", "CL-ZSSYZM"]},
    )
    assert refused.status_code == 422
    body = refused.get_json()
    assert "不能受理" in body["message"] and "股东主体资格证明" in body["message"]
    assert {d["field"] for d in body["errors"]} == {
        "material:CL-GDZTZGZM",
        "material:CL-FDDBRRZWJ",
        "material:CL-CBZGHMC",
    }
    case = _case(session, case_no)
    assert case.status == CaseStatus.SUBMITTED
    assert session.scalars(select(PaperMaterial.received_at)).all() == [None] * 5

    # The page shows what is missing next to the accept form, and the refusal in place.
    page = window.post_form(
        f"/clerk/tasks/{task['id']}",
        [("action", "accept"), ("paper_form", "1"), ("paper_received", "CL-GSZC")],
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    accept_form = re.search(r'id="accept-form".*?</form>', html, re.S).group(0)
    assert 'id="missing-materials"' in accept_form and "尚缺 5 项必交材料" in accept_form
    assert "未上传、未核收纸质件、未容缺" in accept_form

    # With the papers checked at the window (the applicant's declarations), 受理 goes on.
    accepted = window.post_json(f"/api/tasks/{task['id']}/complete", {"action": "accept"})
    assert accepted.status_code == 200, accepted.get_json()
    case = _case(session, case_no)
    assert case.status == CaseStatus.IN_PROGRESS
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert actions.count("material.paper_received") == 5


def test_uploaded_materials_need_no_paper_and_a_gap_covers_a_tolerated_one(login, session):
    case_no = _submit(login, enterprise_answers())  # declared on paper, then uploaded after all
    applicant = login("zhangsan")
    up = _multipart(
        applicant,
        f"/applicant/cases/{case_no}/materials",
        [("material", "CL-GSZC")],
        {"file": ("章程.pdf", PDF)},
    )
    assert up.status_code == 302
    window = login("window")
    task = _acceptance_task(window, case_no)
    promised = (today() + dt.timedelta(days=3)).isoformat()  # within the case's promise
    # 公司章程 came online; 法定代表人任职文件 may be 容缺; three papers are on the desk.
    accepted = window.post_json(
        f"/api/tasks/{task['id']}/actions/accept_with_gap",
        {
            "gaps": [{"material": "CL-FDDBRRZWJ", "promised_date": promised}],
            "paper_received": ["CL-ZSSYZM", "CL-GDZTZGZM", "CL-CBZGHMC"],
        },
    )
    assert accepted.status_code == 200, accepted.get_json()


def test_a_missing_gap_date_is_shown_next_to_its_material(login):
    case_no = _submit(login, enterprise_answers())
    window = login("window")
    task = _acceptance_task(window, case_no)
    page = window.post_form(
        f"/clerk/tasks/{task['id']}",
        [("action", "accept_with_gap"), ("gap", "CL-FDDBRRZWJ"), ("gap_date_CL-FDDBRRZWJ", "")],
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    gap_form = re.search(r'id="gap-form".*?</form>', html, re.S).group(0)
    date_input = gap_form.index('name="gap_date_CL-FDDBRRZWJ"')
    assert gap_form.index("请填写承诺补齐日期") > date_input


# --- 补正 and 容缺 online --------------------------------------------------------------


def test_correction_asks_for_a_material_and_resubmission_waits_for_it(login, session):
    case_no = _submit(login, enterprise_answers())  # 公司章程 declared on paper
    window = login("window")
    task = _acceptance_task(window, case_no)
    # Asked for again: the earlier declaration no longer answers it.
    asked = window.post_json(
        f"/api/tasks/{task['id']}/actions/correct",
        {"materials": ["CL-GSZC"], "note": "章程缺少股东签字页"},
    )
    assert asked.status_code == 200, asked.get_json()

    applicant = login("zhangsan")
    page = applicant.get(f"/applicant/cases/{case_no}/correct").get_data(as_text=True)
    assert 'id="correction-materials"' in page and "尚未补交：公司章程" in page
    early = applicant.post_form(f"/applicant/cases/{case_no}/correct", [])
    assert early.status_code == 422
    assert "请上传补正的“公司章程”" in early.get_data(as_text=True)
    assert _case(session, case_no).status == CaseStatus.CORRECTION

    up = _multipart(
        applicant,
        f"/applicant/cases/{case_no}/materials",
        [("material", "CL-GSZC"), ("back", "correct")],
        {"file": ("章程-补正.pdf", PDF)},
    )
    assert up.status_code == 302
    assert up.headers["Location"].endswith(
        f"/applicant/cases/{case_no}/correct#correction-materials"
    )
    again = applicant.post_form(f"/applicant/cases/{case_no}/correct", [])
    assert again.status_code == 302
    assert _case(session, case_no).status == CaseStatus.SUBMITTED


def test_a_gap_material_is_uploaded_online_and_confirmed_by_the_window(login, session):
    case_no = _submit(login, enterprise_answers())
    window = login("window")
    task = _acceptance_task(window, case_no)
    promised = (today() + dt.timedelta(days=3)).isoformat()  # within the case's promise
    accepted = window.post_json(
        f"/api/tasks/{task['id']}/actions/accept_with_gap",
        {
            "gaps": [{"material": "CL-FDDBRRZWJ", "promised_date": promised}],
            "paper_received": ["CL-GSZC", "CL-ZSSYZM", "CL-GDZTZGZM", "CL-CBZGHMC"],
        },
    )
    assert accepted.status_code == 200, accepted.get_json()

    applicant = login("zhangsan")
    case_page = applicant.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert 'id="upload-CL-FDDBRRZWJ"' in case_page  # the promised material only
    assert 'id="upload-CL-GSZC"' not in case_page
    other = _multipart(
        applicant,
        f"/applicant/cases/{case_no}/materials",
        [("material", "CL-GSZC")],
        {"file": ("x.pdf", PDF)},
    )
    assert other.status_code == 409
    promised_file = _multipart(
        applicant,
        f"/applicant/cases/{case_no}/materials",
        [("material", "CL-FDDBRRZWJ")],
        {"file": ("任职文件.png", PNG)},
    )
    assert promised_file.status_code == 302

    clerk_page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert 'id="gap-uploaded-CL-FDDBRRZWJ"' in clerk_page and "核对无误，确认补齐" in clerk_page
    (gap,) = _case(session, case_no).gaps
    assert window.post_form(f"/clerk/gaps/{gap.id}/received").status_code == 302
    session.refresh(gap)
    assert gap.received_at is not None
    # Confirmed: the material is fixed again.
    late = _multipart(
        applicant,
        f"/applicant/cases/{case_no}/materials",
        [("material", "CL-FDDBRRZWJ")],
        {"file": ("again.pdf", PDF)},
    )
    assert late.status_code == 409


# --- honest applicant pages -----------------------------------------------------------

LABELS = {
    "submitted": "已提交",
    "correction": "待补正",
    "refused": "不予受理",
    "in_progress": "办理中",
    "terminated": "已终止",
    "withdrawn": "已撤回",
    "completed": "已办结出件",
}


def test_my_cases_shows_a_label_and_a_next_step_for_every_state(login, session, submit_case):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    for status, label in LABELS.items():
        case = _case(session, case_no)
        case.status = status
        session.commit()
        html = applicant.get("/applicant/").get_data(as_text=True)
        row = re.search(rf'<tr data-status="{status}">.*?</tr>', html, re.S).group(0)
        assert f'class="case-status">{label}</td>' in row
        step = re.search(r'class="next-step">([^<]*)</td>', row).group(1)
        assert len(step.strip()) > 4, (status, step)


def test_the_applicants_timeline_speaks_plainly(login, submit_case):
    case_no = submit_case()["case_no"]
    html = login("zhangsan").get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    timeline = re.search(r'id="timeline".*?</ol>', html, re.S).group(0)
    assert "您提交了申请" in timeline
    assert "声明到窗口提交纸质件：公司章程" in timeline
    assert 'id="next-step"' in html
