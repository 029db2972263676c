"""Administrative division codes (GB/T 2260, six digits) as answers to `region` fields.

For now a code is checked for its shape and its province-level prefix only. The full
province → city → county cascade (a dataset kept up to date with the yearly code changes)
is a later task; until then a well-formed code of a non-existent county is accepted.
"""

from __future__ import annotations

import re

# Province-level divisions: the first two digits of every valid code.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

REGION_PATTERN = "^(" + "|".join(sorted(PROVINCES)) + r")\d{4}$"
_SIX_DIGITS = re.compile(r"^\d{6}$")


def region_problem(code: str) -> str | None:
    """Why `code` is not a division code (a message suffix in Chinese), or None."""
    if not _SIX_DIGITS.match(code):
        return "应为6位行政区划代码"
    if code[:2] not in PROVINCES:
        return "的省级代码无效"
    return None
