"""The area code of a 身份证号 / 统一社会信用代码 warns, it never refuses."""

from __future__ import annotations

import pytest
from stdnum.cn import ric, uscc

from forms.identifiers import AREA_CODE_WARNING, area_code_warning, validate_resident_id
from forms.regions import Region, RegionTable


def id_number(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17 + "0")


@pytest.mark.parametrize(
    "base17",
    [
        "50010319850612003",  # 渝中区, coded 1997, person born 1985
        "51010319850612003",  # 重庆市市中区 before 1997: a historical code
        "44132219890612003",  # 博罗县
    ],
)
def test_current_and_historical_codes_need_no_second_look(base17):
    number = validate_resident_id(id_number(base17))
    assert area_code_warning("id_number", number) is None


def test_an_unknown_area_code_is_a_warning_not_a_refusal():
    number = validate_resident_id(id_number("99999919850612003"))  # valid by GB 11643
    assert (
        area_code_warning("id_number", number)
        == AREA_CODE_WARNING
        == ("地址码不在行政区划代码表中，请核对")
    )


def test_a_code_of_the_current_region_table_is_known():
    table = RegionTable(
        [
            Region("990000", "测试省", "province"),
            Region("990100", "测试市", "city", "990000"),
            Region("990101", "测试区", "county", "990100"),
        ]
    )
    assert area_code_warning("id_number", id_number("99010119850612003"), table) is None


def test_credit_codes_warn_on_their_registry_area():
    known = "91441322MA4W3Q5K1"
    assert area_code_warning("uscc", known + uscc.calc_check_digit(known)) is None
    national = "91100000MA0000001"
    assert area_code_warning("uscc", national + uscc.calc_check_digit(national)) is None
    unknown = "91999999MA4W3Q5K1"
    assert area_code_warning("uscc", unknown + uscc.calc_check_digit(unknown)) == (
        AREA_CODE_WARNING
    )
