"""Path simulation of a theme draft (engine/simulation.py), as the web app runs it.

The theme's definition says what the engine cannot know: the items with their committed
days, the guidance questions with their types and limits, the 不予 policy. The working
calendar is passed in from here, so the day a promise falls on follows the calendar the
rest of the app uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.orm import Session

from engine.guidance import Guidance
from engine.problems import ThemeInvalid
from engine.simulation import (
    PathResult,
    Question,
    SimulatedItem,
    SimulationReport,
    SimulationTheme,
    simulate,
)
from engine.theme_spec import CompiledTheme
from engine.working_calendar import is_working_day as chinese_working_day
from webapp.clock import CHINA_TZ, now
from webapp.deadlines.limits import FRONT_DESK_DAYS
from webapp.themes.models import Theme
from webapp.themes.published import PublishedTheme


def simulation_theme(theme: PublishedTheme) -> SimulationTheme:
    return SimulationTheme(
        items=tuple(
            SimulatedItem(i.code, i.name, i.task, i.promised_days or Decimal(0), i.guided)
            for i in theme.items
        ),
        variables=dict(theme.variables),
        acceptance_task=theme.acceptance_task,
        delivery_task=theme.delivery_task,
        on_denial=theme.on_denial,
        front_desk_days=FRONT_DESK_DAYS,
    )


def questions(theme: PublishedTheme) -> list[Question]:
    """The guidance questions with what the answer space needs: type, options, limits."""
    result = []
    for variable, key in (theme.question_variables or {}).items():
        if key not in theme.form:
            result.append(Question(variable, variable, "string"))
            continue
        f = theme.form.field(key)
        c = f.constraints
        result.append(
            Question(
                variable=variable,
                label=f.label,
                type=f.type,
                options=c.option_values(),
                minimum=c.min,
                maximum=c.max,
                decimals=c.decimals,
            )
        )
    return result


def simulate_theme(
    theme: PublishedTheme,
    compiled: CompiledTheme,
    guidance: Guidance | None,
    *,
    is_working_day: Callable[[dt.date], bool] = chinese_working_day,
    accepted_on: dt.date | None = None,
) -> SimulationReport:
    """Every path of the theme, with promises dated from `accepted_on` (default: today)."""
    return simulate(
        compiled,
        simulation_theme(theme),
        guidance,
        questions(theme) if guidance is not None else (),
        is_working_day=is_working_day,
        accepted_on=accepted_on or now().astimezone(CHINA_TZ).date(),
    )


def draft_report(
    session: Session,
    theme: Theme,
    bpmn_xml: str | None,
    guidance_dmn: str | None,
    *,
    is_working_day: Callable[[dt.date], bool] = chinese_working_day,
) -> SimulationReport | None:
    """The simulation report of a draft, for the modeler and the publish page; None when the
    draft does not compile (its validation problems say why, and there is nothing to run)."""
    # Imported here: publishing imports this module for the problems that block publishing.
    from webapp.themes.publishing import compile_parts

    if not bpmn_xml:
        return None
    try:
        typed, compiled, guidance = compile_parts(session, theme, bpmn_xml, guidance_dmn)
    except ThemeInvalid:
        return None
    return simulate_theme(typed, compiled, guidance, is_working_day=is_working_day)


def _value(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def answers_text(report: SimulationReport, path: PathResult) -> str:
    """One path's example answers, by question label: 是否办理公积金=是，座位数=76."""
    labels = report.question_labels
    shown = "，".join(f"{labels.get(k, k)}={_value(v)}" for k, v in path.answers.items())
    return shown or "（无导办问题）"


def report_lines(report: SimulationReport) -> list[str]:
    """The report as plain lines, for `yjs theme simulate`."""
    lines = [
        f"模拟了 {report.answer_combinations} 种导办回答组合，{len(report.paths)} 条路径"
        + ("（组合过多，只模拟了一部分）" if report.truncated else "")
    ]
    for path in report.paths:
        items = "、".join(report.item_names.get(c, c) for c in path.selected)
        tasks = " → ".join(report.task_names.get(t, t) for t in path.tasks)
        state = (
            f"结束，承诺 {_value(path.promised_days)} 个工作日"
            + (f"（{path.promised_date.isoformat()} 前）" if path.promised_date else "")
            if path.ended
            else f"走不到结束：{path.stuck_reason}"
        )
        denied = f"；{report.item_names.get(path.denied, path.denied)}不予" if path.denied else ""
        lines.append(f"路径 {path.number}：{answers_text(report, path)}{denied}")
        lines.append(f"  事项：{items}")
        lines.append(f"  任务：{tasks}")
        lines.append(f"  {state}")
    if report.problems:
        lines.append(f"有 {len(report.problems)} 个问题，不能发布：")
        lines += [f"  {p}" for p in report.problems]
    else:
        lines.append("每条路径都能走到结束，可以发布")
    return lines
