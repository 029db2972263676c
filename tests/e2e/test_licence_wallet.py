"""我的证照 in Chromium: the granted 营业执照 in the wallet, downloaded as PDF, its QR code
leading to 证照核验; 市场监管局 revokes it with a reason and the wallet says so.
Screenshots (1280 and 390 px) go to test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path

from .test_rating_rectification import _completed_case

USCC = "91441322MA4X0002X9"
RESTAURANT_FORM = (
    "/applicant/apply/restaurant-opening?step=form&restaurant.floor_area=120"
    "&restaurant.seats=40&restaurant.outdoor_sign=false&enterprise.registered=true"
    "&operator.form=enterprise"
)
CALLED_UP = f"已调用电子证照《营业执照》（证号 {USCC}）"


def _shot(page, path, width: int, locator=None) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
    if locator is None:
        page.screenshot(path=str(path), full_page=True)
    else:
        page.locator(locator).screenshot(path=str(path))


def test_wallet_shows_downloads_and_loses_a_revoked_licence(live_server, login_page, artifacts_dir):
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    # lisi: the browser tests share one server, and zhangsan's wallet gathers other tests'
    # 营业执照 (with two of a kind, nothing is prefilled: which company is meant is his).
    case_no = _completed_case(live_server, licence_no=USCC, applicant="lisi")

    applicant = login_page("lisi")
    applicant.goto(live_server("/applicant/licences"))
    row = applicant.locator("#licences tbody tr", has_text=USCC)
    assert "营业执照" in row.inner_text() and "有效" in row.inner_text()
    assert case_no in row.inner_text()
    _shot(applicant, artifacts_dir / "wallet-1280.png", 1280)
    _shot(applicant, artifacts_dir / "wallet-390.png", 390)
    # Nothing spills sideways on a phone.
    assert applicant.evaluate("document.documentElement.scrollWidth") <= 390

    applicant.set_viewport_size({"width": 1280, "height": 900})
    with applicant.expect_download() as caught:
        row.get_by_role("link", name="下载PDF").click()
    download = caught.value
    assert download.suggested_filename == f"{case_no}-ZZ01.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "")
    assert USCC in text and "营业执照" in text and "市场监管局" in text

    # The same document as HTML: its QR code, read off the screen, is the public check.
    applicant.goto(live_server(f"/instruments/{case_no}-ZZ01"))
    qr = applicant.locator(".verify .qr svg")
    png = qr.screenshot(path=str(artifacts_dir / "licence-qr.png"))
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    public = live_server.app.config["PUBLIC_URL"].rstrip("/")
    assert found.text == f"{public}/licences/verify?no={USCC}"
    _shot(applicant, artifacts_dir / "licence-document-1280.png", 1280)

    # The next application: the licence replaces the material and fills the company in.
    applicant.goto(live_server(RESTAURANT_FORM))
    licence_material = applicant.locator("[data-material=CL-YYZZ]")
    assert CALLED_UP in licence_material.inner_text()
    assert applicant.locator("input[name='enterprise.uscc']").input_value() == USCC
    assert case_no in applicant.locator("#earlier-prefill").inner_text()
    _shot(applicant, artifacts_dir / "form-prefill-390.png", 390)
    _shot(applicant, artifacts_dir / "form-prefill-1280.png", 1280)

    # The issuing department revokes it, with a reason, after confirming.
    samr = login_page("samr")
    samr.goto(live_server(f"/clerk/cases/{case_no}"))
    samr.locator("#case-licences").get_by_role("link", name="撤销…").click()
    form = samr.locator("#revoke-licence form")
    form.locator("textarea[name=reason]").fill("以欺骗手段取得登记，依法撤销")
    with samr.expect_navigation():
        form.get_by_role("button", name="撤销证照").click()
    assert "请勾选确认撤销" in samr.locator("#revoke-licence").inner_text()
    _shot(samr, artifacts_dir / "licence-revoke-390.png", 390)
    samr.set_viewport_size({"width": 1280, "height": 900})
    form.locator("input[name=confirm]").check()
    with samr.expect_navigation():
        form.get_by_role("button", name="撤销证照").click()
    assert "已撤销" in samr.locator(".flash").inner_text()
    _shot(samr, artifacts_dir / "licence-revoke-1280.png", 1280)

    applicant.goto(live_server("/applicant/licences"))
    row = applicant.locator("#licences tbody tr", has_text=USCC)
    assert "已撤销" in row.inner_text() and row.get_by_role("link", name="下载PDF").count() == 0
    _shot(applicant, artifacts_dir / "wallet-revoked-390.png", 390)
    # The next form asks for the 营业执照 again.
    applicant.goto(live_server(RESTAURANT_FORM))
    licence_material = applicant.locator("[data-material=CL-YYZZ]")
    assert "免提交" not in licence_material.inner_text()
    assert licence_material.locator("input[type=file]").count() == 1
