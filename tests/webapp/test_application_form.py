"""The one form as the server renders and checks it: region codes against the GB/T 2260
table, full region names on the case pages, repeating-group markup for the browser."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp import create_app
from webapp.config import ConfigError
from webapp.models import Case, CaseTask, TaskStatus

from .conftest import enterprise_answers
from .test_drafts import APPLY, post

REGION = "enterprise.address.region"


@pytest.mark.parametrize("code", ["441300", "999999"])
def test_region_must_be_a_county_of_the_table(login, code):
    applicant = login("zhangsan")
    response = post(applicant, APPLY, {**enterprise_answers(), REGION: code})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "住所所在地不是有效的县级行政区划代码" in html
    assert f'value="{code}"' in html  # kept, so the applicant sees what was wrong


def test_case_pages_show_the_region_by_name(login, session):
    applicant = login("zhangsan")
    response = post(applicant, APPLY, enterprise_answers())
    assert response.status_code == 302
    case_no = re.search(r"YJS-\d{8}-\d{6}", response.headers["Location"]).group(0)

    case_page = applicant.get(f"/applicant/cases/{case_no}").get_data(as_text=True)
    assert "<dd>广东省 惠州市 博罗县</dd>" in case_page
    assert "<dd>441322</dd>" not in case_page

    case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    task = session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.status == TaskStatus.OPEN)
    ).first()
    clerk_page = login("window").get(f"/clerk/tasks/{task.id}")
    assert clerk_page.status_code == 200
    assert "广东省 惠州市 博罗县" in clerk_page.get_data(as_text=True)


def test_form_page_carries_what_the_browser_script_needs(login):
    html = (
        login("zhangsan").get(f"{APPLY}?step=form&housing_fund.needed=true").get_data(as_text=True)
    )
    assert 'data-regions-url="/static/dist/regions.json"' in html
    assert "dist/application-form.js" in html
    # Without the script the region is a plain code input, posted under its key.
    assert re.search(rf'<input name="{re.escape(REGION)}" value="" class="region-code"', html)
    # 股东: at least one row (min_items 1), a template for more, names numbered from 0.
    assert 'data-group="shareholders"' in html and 'data-min-items="1"' in html
    assert 'data-max-items="50"' in html  # 有限责任公司: at most 50 shareholders
    assert 'name="shareholders[0].id_code"' in html
    assert 'name="shareholders[__INDEX__].id_code"' in html
    assert "添加一行" in html and "删除" in html and "保存草稿" in html


def test_regions_file_is_served_to_the_browser(app, db):
    response = app.test_client().get("/static/dist/regions.json")
    assert response.status_code == 200
    data = response.get_json()
    guangdong = next(p for p in data["regions"] if p[0] == "440000")
    huizhou = next(c for c in guangdong[2] if c[0] == "441300")
    assert ["441322", "博罗县"] in huizhou[2]
    response.close()


def test_missing_regions_file_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="YJS_REGIONS_FILE 指向的行政区划数据文件不存在"):
        create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SECRET_KEY": "k" * 40,
                "INSTANCE_DIR": tmp_path,
                "REGIONS_FILE": tmp_path / "missing.json",
            }
        )
    broken = tmp_path / "regions.json"
    broken.write_text('{"regions": []}', encoding="utf-8")
    with pytest.raises(ConfigError, match="无法作为行政区划数据读取"):
        create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SECRET_KEY": "k" * 40,
                "INSTANCE_DIR": tmp_path,
                "REGIONS_FILE": broken,
            }
        )
