"""身份证号 (GB 11643) and 统一社会信用代码 (GB 32100): what decides validity, and what
only deserves a second look.

Validity is the standard's: 18 characters of the right alphabet and the check digit, and
for a 身份证号 a birth date that exists and is not in the future. python-stdnum computes
the check digits (the birth date is read as its `get_birth_date` reads it); its
`ric.validate` is not used as a whole, because it also refuses an area code that did not
exist in the birth year — yet a person born in 1985 in Chongqing holds 500103…, 渝中区's
code since 1997 (numbers were re-issued when divisions were re-coded and when people
moved). So the area code (digits 1–6 of a 身份证号, 3–8 of a 统一社会信用代码) is looked up
in current and historical GB/T 2260 codes only to warn the clerk (`area_code_warning`),
never to refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.util import isdigits

if TYPE_CHECKING:
    from .regions import RegionTable

AREA_CODE_WARNING = "地址码不在行政区划代码表中，请核对"
# Already compact for stdnum (its `compact` strips separators, maps look-alike characters,
# upper-cases): such a value is its own compact form, and stdnum's clean-up is skipped.
_COMPACT = re.compile(r"[0-9A-Z]{18}")
_USCC_TAIL = re.compile(r"[0-9A-HJ-NPQRTUWXY]{10}")  # stdnum's uscc alphabet, digits 9–18
# 登记管理机关 at national level (e.g. 91100000…): a USCC code, not a county.
_NATIONAL_REGISTRY = "100000"


class BirthDateInFuture(stdnum_errors.InvalidComponent):
    """The birth date of a 身份证号 lies after today."""

    message = "The birth date is in the future."


def validate_resident_id(value: str) -> str:
    """The compact 身份证号; raises a stdnum ValidationError (InvalidComponent for a date
    that does not exist, BirthDateInFuture for one after today)."""
    number = value if _COMPACT.fullmatch(value) else ric.compact(value)
    if len(number) != 18:
        raise stdnum_errors.InvalidLength()
    if not isdigits(number[:-1]):
        raise stdnum_errors.InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise stdnum_errors.InvalidChecksum()
    # No time zone is more than a day ahead of UTC: a date after UTC's tomorrow is in the
    # future everywhere, and a baby registered today in Beijing is never refused.
    if _birth_date(number) > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise BirthDateInFuture()
    return number


def _birth_date(number: str) -> dt.date:
    """Digits 7–14 of a compact number of 17 digits and a check character, read as
    stdnum's `ric.get_birth_date` reads them (which would compact the number once more:
    most of the time a 身份证号 takes to check); InvalidComponent for no such date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise stdnum_errors.InvalidComponent() from None


def validate_credit_code(value: str) -> str:
    """The compact 统一社会信用代码 (GB 32100: alphabet and check digit), as stdnum's
    `uscc.validate` finds it; for a value already compact, without its clean-up."""
    if not _COMPACT.fullmatch(value):
        return uscc.validate(value)
    # uscc.validate's own steps, on a number that is its own compact form.
    if not isdigits(value[:8]):
        raise stdnum_errors.InvalidFormat()
    if not _USCC_TAIL.fullmatch(value, 8):
        raise stdnum_errors.InvalidFormat()
    if value[-1] != uscc.calc_check_digit(value):
        raise stdnum_errors.InvalidChecksum()
    return value


def area_code_warning(type_: str, number: str, regions: RegionTable | None = None) -> str | None:
    """A warning for the clerk when a valid identifier's area code is not a GB/T 2260 code
    of any year (python-stdnum's historical table, or the current `regions` table)."""
    if type_ == "id_number":
        code = number[:6]
    elif type_ == "uscc":
        code = number[2:8]
        if code == _NATIONAL_REGISTRY:
            return None
    else:
        return None
    if regions is not None and code in regions:
        return None
    known = numdb.get("cn/loc").info(code)
    if any("county" in props for _part, props in known):
        return None
    return AREA_CODE_WARNING
