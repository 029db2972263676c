"""The number of an item's result (证照/文书编号), checked by the result's own format.

Only results whose number has a published format are checked; the others take any text
the approver types (one line, at most 64 characters, checked at the input):

- 营业执照: a 统一社会信用代码, 18 characters with the GB 32100 check digit (python-stdnum):
  the licence carries the enterprise's USCC as its number;
- 食品经营许可证: "JY" + 14 digits, the number format of 《食品经营许可和备案管理办法》;
- 不动产权证书: 省简称（年份）市县名不动产权第NNNNNNN号, the certificate's number style (as the
  hint of property.certificate_no shows).

Others (出生医学证明, 户口簿, 审批决定书, utility contracts …) have no format the catalog
can rely on and are not checked. Results are matched by their catalog name, so a renamed
result is simply not checked.

Results are matched by their catalog name, so a renamed result is simply not checked.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors

from .identifiers import validate_credit_code

_PATTERNS = {
    "食品经营许可证": (re.compile(r"^JY\d{14}$"), "应为“JY”加14位数字"),
    "不动产权证书": (
        re.compile(r"^[\u4e00-\u9fff]{1,2}（\d{4}）[\u4e00-\u9fff]{1,20}不动产权第\d{7}号$"),
        "应为“粤（2024）博罗县不动产权第0001234号”的格式",
    ),
}


def result_number_problem(result_name: str, number: str) -> str | None:
    """Why `number` is not a number of the result `result_name` (a whole Chinese
    sentence), or None when it is or the result has no checked format."""
    number = number.strip()
    if result_name == "营业执照":
        try:
            validate_credit_code(number)
        except stdnum_errors.ValidationError:
            return "营业执照编号应为18位统一社会信用代码（GB 32100），请核对校验位"
        return None
    rule = _PATTERNS.get(result_name)
    if rule is not None and not rule[0].fullmatch(number):
        return f"{result_name}编号{rule[1]}"
    return None
