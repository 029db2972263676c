"""一套材料 as files: the applicant uploads before acceptance, clerks preview and download;
content decides the type, approvers see only their materials, nothing changes after 受理."""

from __future__ import annotations

from sqlalchemy import select

from webapp.models import AuditEvent, Case, MaterialFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def _upload(client, case_no, material, data, name="材料.pdf"):
    # The body is encoded here, in memory: werkzeug's test client would spool a large one
    # to a temporary file it never closes (a ResourceWarning, an error under this suite).
    boundary = "yjs-test-boundary"
    parts = []
    for key, value in (("csrf_token", client.csrf), ("material", material)):
        header = f'Content-Disposition: form-data; name="{key}"'
        parts.append(f"--{boundary}\r\n{header}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return client.client.post(
        f"/applicant/cases/{case_no}/materials",
        data=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _files(session, case_no):
    session.expire_all()
    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    return case, session.scalars(select(MaterialFile).where(MaterialFile.case_id == case.id)).all()


def test_upload_preview_download_and_who_may_see_it(login, submit_case, session):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    assert _upload(applicant, case_no, "CL-GSZC", PDF, "公司章程.pdf").status_code == 302
    assert _upload(applicant, case_no, "CL-SQWTS", PNG, "委托书.png").status_code == 302
    case, files = _files(session, case_no)
    by_code = {f.material_code: f for f in files}
    assert by_code["CL-GSZC"].content_type == "application/pdf"
    assert by_code["CL-SQWTS"].content_type == "image/png"

    window = login("window")
    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert "公司章程.pdf" in page and "预览" in page
    shown = window.get(f"/materials/{by_code['CL-GSZC'].id}")
    assert shown.status_code == 200 and shown.data == PDF
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Content-Security-Policy"].startswith("sandbox")
    assert shown.headers["Content-Disposition"].startswith("inline")
    download = window.get(f"/materials/{by_code['CL-GSZC'].id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E5%85%AC%E5%8F%B8" in download.headers["Content-Disposition"]

    # Another applicant, and an approver whose items do not ask for 公司章程: nothing.
    assert login("lisi").get(f"/materials/{by_code['CL-GSZC'].id}").status_code == 404
    tasks = window.get("/api/tasks/").get_json()["tasks"]
    accept = next(t for t in tasks if t["case_no"] == case_no)
    assert window.post_json(f"/api/tasks/{accept['id']}/complete", {}).status_code == 200
    samr, psb = login("samr"), login("psb")
    assert samr.get(f"/materials/{by_code['CL-GSZC'].id}").status_code == 200
    assert psb.get(f"/materials/{by_code['CL-GSZC'].id}").status_code == 404

    # After acceptance the set is fixed.
    late = _upload(applicant, case_no, "CL-GSZC", PDF)
    assert late.status_code == 409
    assert "已受理" in late.get_data(as_text=True)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert actions.count("material.uploaded") == 2


def test_content_not_the_name_decides_the_type(login, submit_case, session):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    fake = _upload(applicant, case_no, "CL-GSZC", b"<script>alert(1)</script>", "章程.pdf")
    assert fake.status_code == 422
    assert "单个文件不能超过 5 MB，仅限 PDF、PNG、JPEG" in fake.get_data(as_text=True)
    empty = _upload(applicant, case_no, "CL-GSZC", b"", "空.pdf")
    assert empty.status_code == 422
    exempt = _upload(applicant, case_no, "CL-YYZZ", PDF)  # 营业执照 is produced in the theme
    assert exempt.status_code == 422
    big = _upload(applicant, case_no, "CL-GSZC", PDF + b"0" * (5 * 1024 * 1024))
    assert big.status_code == 422
    assert _files(session, case_no)[1] == []


def test_an_oversized_request_is_refused_before_it_is_read(login, submit_case, app):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    too_big = _upload(applicant, case_no, "CL-GSZC", PDF + b"0" * app.config["MAX_CONTENT_LENGTH"])
    assert too_big.status_code == 413


def test_the_applicant_removes_a_file_before_acceptance(login, submit_case, session):
    case_no = submit_case()["case_no"]
    applicant = login("zhangsan")
    _upload(applicant, case_no, "CL-GSZC", PDF)
    _, files = _files(session, case_no)
    assert login("lisi").post_form(f"/applicant/materials/{files[0].id}/delete").status_code == 404
    assert applicant.post_form(f"/applicant/materials/{files[0].id}/delete").status_code == 302
    assert _files(session, case_no)[1] == []
