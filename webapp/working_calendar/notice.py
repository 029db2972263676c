"""Reading the State Council's annual notice as an administrator types it: a list of dates.

One line per holiday span or 调休 workday: a date or a span, then (optionally) its name:

    2027-01-01 元旦
    2027-02-15..2027-02-21 春节

Every problem is collected and reported with its line, never the first one only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import chinese_calendar

_LINE = re.compile(
    r"^(?P<first>\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|至|~|—)\s*(?P<last>\d{4}-\d{2}-\d{2}))?"
    r"(?:\s+(?P<name>\S.*))?$"
)
MAX_SPAN_DAYS = 31


@dataclass(frozen=True)
class SpecialDay:
    day: dt.date
    name: str


@dataclass(frozen=True)
class Notice:
    """One year's arrangement: its rest days and its 调休 workdays."""

    year: int
    holidays: tuple[SpecialDay, ...]
    workdays: tuple[SpecialDay, ...]


def parse_notice(year: int, holidays: str, workdays: str) -> tuple[Notice | None, list[str]]:
    """The notice, or None and every problem found (in Chinese, naming the line)."""
    problems: list[str] = []
    rest = _parse_days(year, holidays, "放假日期", problems)
    worked = _parse_days(year, workdays, "调休上班日期", problems)
    if not rest:
        problems.append("放假日期不能为空：国务院通知每年都安排元旦、春节等节假日")
    both = sorted({d.day for d in rest} & {d.day for d in worked})
    for day in both:
        problems.append(f"{day.isoformat()} 既是放假日又是调休上班日")
    for d in worked:
        if d.day.weekday() < 5:
            problems.append(f"调休上班日 {d.day.isoformat()} 不是周末：调休上班日都是周六或周日")
    if problems:
        return None, problems
    return Notice(year, tuple(rest), tuple(worked)), []


def _parse_days(year: int, text: str, what: str, problems: list[str]) -> list[SpecialDay]:
    days: dict[dt.date, SpecialDay] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{what}第 {number} 行“{line[:40]}”"
        match = _LINE.match(line)
        if match is None:
            problems.append(f"{where}：应写作 2027-01-01 或 2027-02-15..2027-02-21，后接名称")
            continue
        try:
            first = dt.date.fromisoformat(match["first"])
            last = dt.date.fromisoformat(match["last"]) if match["last"] else first
        except ValueError:
            problems.append(f"{where}：日期无效")
            continue
        if first.year != year or last.year != year:
            problems.append(f"{where}：日期不在 {year} 年内")
            continue
        if last < first or (last - first).days >= MAX_SPAN_DAYS:
            problems.append(f"{where}：起止日期有误")
            continue
        name = (match["name"] or "").strip()[:32]
        day = first
        while day <= last:
            if day in days:
                problems.append(f"{where}：{day.isoformat()} 重复列出")
            days[day] = SpecialDay(day, name)
            day += dt.timedelta(days=1)
    return sorted(days.values(), key=lambda d: d.day)


def notice_lines(days: tuple[SpecialDay, ...] | list[SpecialDay]) -> str:
    """Days written back as lines (runs of consecutive days with one name become a span)."""
    lines: list[str] = []
    run: list[SpecialDay] = []
    for d in sorted(days, key=lambda d: d.day):
        if run and d.name == run[-1].name and d.day == run[-1].day + dt.timedelta(days=1):
            run.append(d)
            continue
        if run:
            lines.append(_line(run))
        run = [d]
    if run:
        lines.append(_line(run))
    return "\n".join(lines)


def _line(run: list[SpecialDay]) -> str:
    span = run[0].day.isoformat()
    if len(run) > 1:
        span += f"..{run[-1].day.isoformat()}"
    return f"{span} {run[0].name}".rstrip()


_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_notices() -> list[Notice]:
    """The years the installed chinesecalendar release ships, as notices."""
    by_year: dict[int, tuple[list[SpecialDay], list[SpecialDay]]] = {}
    for source, index in ((chinese_calendar.holidays, 0), (chinese_calendar.workdays, 1)):
        for day, name in source.items():
            by_year.setdefault(day.year, ([], []))[index].append(
                SpecialDay(day, _PACKAGE_NAMES.get(str(name), str(name)))
            )
    return [
        Notice(year, tuple(sorted(h, key=lambda d: d.day)), tuple(sorted(w, key=lambda d: d.day)))
        for year, (h, w) in sorted(by_year.items())
    ]
