"""Identity numbers as the standards say: GB 11643 / GB 32100 check digits and a real birth
date decide; an unknown area code is a warning on the clerk's page, never a refusal. And a
result's number at 准予 is checked by the result's format (营业执照: a USCC)."""

from __future__ import annotations

from stdnum.cn import ric

from .conftest import enterprise_answers
from .test_case_workflow import _accept, _task

WARNING = "地址码不在行政区划代码表中，请核对"


def id_number(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17 + "0")


CHONGQING_1985 = id_number("50010319850612003")  # 渝中区 got 500103 in 1997
UNKNOWN_AREA = id_number("99999919850612003")  # check digit and birth date are right


def submit(login, **changes) -> dict:
    response = login("zhangsan").post_json(
        "/api/cases/",
        {"theme": "enterprise-opening", "answers": {**enterprise_answers(), **changes}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_chongqing_number_of_someone_born_before_1997_is_accepted(login):
    case = submit(login, **{"tax_agent.id_number": CHONGQING_1985})
    assert case["case_no"]


def test_an_unknown_area_code_is_a_warning_for_the_clerk_only(login):
    case_no = submit(login, **{"tax_agent.id_number": UNKNOWN_AREA})["case_no"]
    window = login("window")
    page = window.get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    assert page.count(WARNING) == 1  # next to the 办税人身份证号, nowhere else
    tax_agent = page.split("<dt>办税人身份证号</dt>")[1].split("</dd>")[0]
    assert UNKNOWN_AREA in tax_agent and WARNING in tax_agent
    applicant_page = login("zhangsan").get(f"/applicant/cases/{case_no}")
    assert WARNING not in applicant_page.get_data(as_text=True)


def test_a_shareholder_row_carries_its_own_warning(login):
    answers = enterprise_answers()
    answers["shareholders"][0]["id_code"] = UNKNOWN_AREA
    case_no = submit(login, shareholders=answers["shareholders"])["case_no"]
    page = login("window").get(f"/clerk/cases/{case_no}").get_data(as_text=True)
    rows = page.split("<dt>股东（发起人）出资情况</dt>")[1].split("</table>")[0]
    assert WARNING in rows.split("</tr>")[1]  # the first row (after the headers)


def test_an_impossible_birth_date_is_refused(login):
    response = login("zhangsan").post_json(
        "/api/cases/",
        {
            "theme": "enterprise-opening",
            "answers": {
                **enterprise_answers(),
                "tax_agent.id_number": id_number("50010319850231003"),
            },
        },
    )
    assert response.status_code == 422
    assert "办税人身份证号中的出生日期无效" in str(response.get_json())


def _registration_task(login, case_no) -> tuple:
    _accept(login, case_no)
    samr = login("samr")
    return samr, _task(samr, case_no)


def test_a_business_licence_number_must_be_a_credit_code(login):
    case_no = submit(login)["case_no"]
    samr, task = _registration_task(login, case_no)
    page = samr.post_form(
        f"/clerk/tasks/{task['id']}",
        data={"action": "grant", "opinion": "同意", "result_no": "123", "csrf_token": samr.csrf},
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    message = "营业执照编号应为18位统一社会信用代码（GB 32100），请核对校验位"
    field = html.split('name="result_no"')[1].split("</p>")[0]
    assert message in field  # next to the field
    api = samr.post_json(
        f"/api/tasks/{task['id']}/complete",
        {"action": "grant", "opinion": "同意", "result_no": "91441322MA4W3Q5K1K"},
    )
    assert api.status_code == 422 and message in str(api.get_json())
    valid = samr.post_json(
        f"/api/tasks/{task['id']}/complete",
        {"action": "grant", "opinion": "同意", "result_no": "91441322MA4W3Q5K1J"},
    )
    assert valid.status_code == 200, valid.get_json()
