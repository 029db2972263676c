"""The monthly 进度表 (seed 004: 每月22日前填报进度表): the dashboard's figures for one month,
overall, per theme and per department, as an XLSX workbook and as a printable A4 PDF made
by the instruments framework's printer (instruments/documents.py, WeasyPrint, the same
fonts and page frame as every 文书).

Both documents are built from one `MonthlyReport`, so the spreadsheet and the print can
never disagree.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter
from flask import current_app
from sqlalchemy.orm import Session

from webapp.clock import CHINA_TZ, now
from webapp.domain_errors import Invalid
from webapp.instruments import documents
from webapp.supervision import figures
from webapp.themes.lookup import list_themes

TITLE = "一件事集成服务效能监督月度进度表"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-11' → Month(2026, 11); a clear Chinese error otherwise."""
        try:
            day = dt.date.fromisoformat(f"{(text or '').strip()}-01")
        except ValueError:
            raise Invalid(
                "月份格式应为 YYYY-MM，例如 2026-11",
                details=[{"field": "month", "message": "应为 YYYY-MM"}],
            ) from None
        return cls(day.year, day.month)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def code(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class ThemeLine:
    name: str
    figures: figures.Dashboard


@dataclass(frozen=True)
class MonthlyReport:
    month: Month
    made_at: dt.datetime
    overall: figures.Dashboard
    themes: list[ThemeLine]

    @property
    def filename(self) -> str:
        return f"效能监督月报-{self.month.code}"


def monthly_report(session: Session, month: Month) -> MonthlyReport:
    period = figures.Filters(month.first, month.last)
    themes = [
        ThemeLine(
            theme.name,
            figures.dashboard(session, figures.Filters(month.first, month.last, theme.code)),
        )
        for theme in list_themes(session)
    ]
    return MonthlyReport(month, now(), figures.dashboard(session, period), themes)


def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def days(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}"


# The columns of the 进度表, each (heading, value of a Dashboard): one list for the overall
# line and each theme's, so the workbook, the print and the dashboard's table agree.
CASE_COLUMNS = (
    ("收件", lambda d: d.received_in_period),
    ("受理", lambda d: d.accepted_in_period),
    ("办结", lambda d: d.completed_in_period),
    ("办件承诺按时办结率", lambda d: d.case_on_time_rate),
    ("补正率", lambda d: d.cases.correction_rate),
    ("容缺率", lambda d: d.cases.gap_rate),
    ("不予受理率", lambda d: d.cases.refusal_rate),
    ("一次办成率", lambda d: d.cases.done_at_once_rate),
    ("网办率", lambda d: d.cases.online_rate),
    ("满意率", lambda d: d.ratings.satisfaction_rate),
)
RATE_HEADINGS = {
    "办件承诺按时办结率",
    "补正率",
    "容缺率",
    "不予受理率",
    "一次办成率",
    "网办率",
    "满意率",
}
DEPARTMENT_COLUMNS = (
    ("办结事项", lambda r: r.completed),
    ("承诺按时率", lambda r: r.on_time_rate),
    ("法定按时率", lambda r: r.legal_on_time_rate),
    ("在办", lambda r: r.open),
    ("黄牌", lambda r: r.yellow),
    ("红牌", lambda r: r.red),
    ("超法定时限", lambda r: r.legal_overdue),
)
DEPARTMENT_RATES = {"承诺按时率", "法定按时率"}


def write_xlsx(report: MonthlyReport) -> bytes:
    """The 进度表 as a workbook: one sheet, sections one under the other (as it is printed)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    title = book.add_format({"bold": True, "font_size": 14})
    heading = book.add_format(
        {"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "align": "center"}
    )
    cell = book.add_format({"border": 1})
    share = book.add_format({"border": 1, "num_format": "0.0%"})
    number = book.add_format({"border": 1, "num_format": "0.00"})
    section = book.add_format({"bold": True, "font_size": 12})
    sheet = book.add_worksheet("进度表")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 12, 12)
    sheet.write(0, 0, f"{TITLE}（{report.month.label}）", title)
    made = report.made_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    period = f"{report.month.first.isoformat()} 至 {report.month.last.isoformat()}"
    sheet.write(1, 0, f"统计期间：{period}　生成时间：{made}")

    def value_cell(row, col, value, is_rate):
        if value is None:
            sheet.write_string(row, col, "—", cell)
        elif is_rate:
            # A real number (0.667 shown as 66.7%): the sheet can be summed and charted.
            sheet.write_number(row, col, float(value) / 100, share)
        elif isinstance(value, Decimal):
            sheet.write_number(row, col, float(value), number)
        else:
            sheet.write_number(row, col, value, cell)

    row = 3
    sheet.write(row, 0, "一、按主题", section)
    row += 1
    sheet.write(row, 0, "主题", heading)
    for col, (name, _) in enumerate(CASE_COLUMNS, start=1):
        sheet.write(row, col, name, heading)
    lines = [*((t.name, t.figures) for t in report.themes), ("合计", report.overall)]
    for name, dashboard in lines:
        row += 1
        sheet.write(row, 0, name, cell)
        for col, (heading_text, get) in enumerate(CASE_COLUMNS, start=1):
            value_cell(row, col, get(dashboard), heading_text in RATE_HEADINGS)
    row += 2
    sheet.write(row, 0, "二、按部门（事项办理；在办与黄红牌为生成时状态）", section)
    row += 1
    sheet.write(row, 0, "部门", heading)
    for col, (name, _) in enumerate(DEPARTMENT_COLUMNS, start=1):
        sheet.write(row, col, name, heading)
    for line in [*report.overall.departments, report.overall.totals]:
        row += 1
        sheet.write(row, 0, line.department, cell)
        for col, (heading_text, get) in enumerate(DEPARTMENT_COLUMNS, start=1):
            value_cell(row, col, get(line), heading_text in DEPARTMENT_RATES)
    row += 2
    sheet.write(row, 0, "三、事项平均用时（工作日）", section)
    row += 1
    for col, name in enumerate(("事项", "办结件数", "平均用时", "承诺时限")):
        sheet.write(row, col, name, heading)
    for item in report.overall.items:
        row += 1
        sheet.write(row, 0, item.name, cell)
        value_cell(row, 1, item.completed, False)
        value_cell(row, 2, item.average_days, False)
        value_cell(row, 3, item.promised_days, False)
    row += 2
    sheet.write(row, 0, "四、好差评与导办", section)
    ratings = report.overall.ratings
    for name, value, is_rate in (
        ("评价率", ratings.evaluation_rate, True),
        ("满意率", ratings.satisfaction_rate, True),
        ("差评整改率", ratings.rectification_rate, True),
        ("导办率", report.overall.guidance_rate, True),
    ):
        row += 1
        sheet.write(row, 0, name, cell)
        value_cell(row, 1, value, is_rate)
    book.close()
    return buffer.getvalue()


def render_html(report: MonthlyReport) -> str:
    template = current_app.jinja_env.get_template("supervision/monthly_report.html")
    return template.render(
        report=report,
        title=TITLE,
        case_columns=CASE_COLUMNS,
        rate_headings=RATE_HEADINGS,
        department_columns=DEPARTMENT_COLUMNS,
        department_rates=DEPARTMENT_RATES,
        percent=percent,
        days=days,
        made=report.made_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        made_on=documents.chinese_date(report.made_at),
    )


def write_pdf(report: MonthlyReport) -> bytes:
    return documents.render_pdf(render_html(report))
