"""The `yjs` command: database, themes, users, serving and the background worker."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp.accounts.models import Role
from webapp.db import db_session

from . import create_app
from .config import ConfigError, load_config
from .logging_setup import configure_logging


@click.group(
    cls=FlaskGroup, create_app=create_app, add_default_commands=False, add_version_option=False
)
def main():
    """YJS 一件事集成服务 management commands."""


@main.group()
def db():
    """Database schema (alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head")
@with_appcontext
def db_upgrade(revision: str):
    from .migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo("数据库已迁移到最新版本")


@main.command("load-themes")
@with_appcontext
def load_themes():
    """Load the item catalog and the shipped themes from processes/."""
    from webapp.themes.shipped import load_shipped

    session = db_session()
    report = load_shipped(session, current_app.config["PROCESSES_DIR"])
    session.commit()
    for line in report:
        click.echo(line)


@main.command("export-catalog")
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False),
    default=None,
    help="目标目录（默认 processes/catalog，导出后提交到代码库）",
)
@with_appcontext
def export_catalog(target):
    """Write the item records published in the browser back to YAML files."""
    from pathlib import Path

    from webapp.catalog.export import export_published

    processes_dir = current_app.config["PROCESSES_DIR"]
    written = export_published(
        db_session(), Path(target) if target else Path(processes_dir) / "catalog"
    )
    for path in written:
        click.echo(f"已导出 {path}")
    if not written:
        click.echo("没有在网页上发布过的事项，无需导出")


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", required=True)
@click.option("--department", default=None, help="部门编码，如 PSB；窗口人员为 FRONT_DESK")
@click.password_option()
@with_appcontext
def create_user(username, role, display_name, department, password):
    from webapp.accounts.users import create_user as create

    session = db_session()
    create(
        session,
        None,
        username=username,
        role=Role(role),
        display_name=display_name,
        department_code=department,
        password=password,
    )
    session.commit()
    click.echo(f"已创建账号 {username}")


@main.command("demo-users")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 列表输出（供脚本使用）")
@with_appcontext
def demo_users(as_json: bool):
    """Create the demo accounts (idempotent) and print them, grouped by theme."""
    import json

    from forms.party_roles import role_label
    from webapp.accounts.users import DEMO_PASSWORD, ensure_demo_users
    from webapp.themes.demo_accounts import demo_logins, theme_departments

    session = db_session()
    ensure_demo_users(session)
    session.commit()
    logins = demo_logins(session)
    if as_json:
        click.echo(json.dumps([login.to_dict() for login in logins], ensure_ascii=False, indent=2))
        return
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}），按主题列出办完整件所需的账号：")
    for code, (name, _departments) in theme_departments(session).items():
        click.echo(f"\n{name}（{code}）")
        for login in logins:
            if code in login.themes and login.role not in (Role.ANALYST, Role.ADMIN):
                side = f"（{role_label(login.side)}）" if login.side else ""
                click.echo(f"  {login.username:<12} {login.role.label:<6} {login.name}{side}")
    click.echo("\n所有主题")
    for login in logins:
        if login.role in (Role.ANALYST, Role.ADMIN):
            click.echo(f"  {login.username:<12} {login.role.label:<6} {login.name}")
    spare = [login for login in logins if not login.themes]
    if spare:
        click.echo("\n其他")
        for login in spare:
            click.echo(f"  {login.username:<12} {login.role.label:<6} {login.name}")


@main.group()
def calendar():
    """The working calendar: holidays and 调休 workdays per year."""


@calendar.command("import")
@click.argument("notice_file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def calendar_import(notice_file: str):
    """Enter one year's State Council notice from a YAML file (year, notice, holidays,
    workdays: lists of "2027-01-01 元旦" or "2027-02-15..2027-02-21 春节")."""
    import yaml

    from webapp.deadlines.recalculation import reschedule_open_tasks
    from webapp.domain_errors import Invalid
    from webapp.working_calendar import arrangement

    with open(notice_file, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("year"), int):
        raise click.ClickException("文件应包含 year（年份）、holidays（放假日期列表）和 workdays")
    session = db_session()
    arrangement.refresh(session, recheck=False)
    try:
        notice = arrangement.import_notice(
            session,
            None,
            data["year"],
            _lines(data.get("holidays")),
            _lines(data.get("workdays")),
            str(data.get("notice") or ""),
        )
    except Invalid as exc:
        session.rollback()
        problems = "\n".join(f"  {d['message']}" for d in exc.details or [])
        raise click.ClickException(f"{exc.message}：\n{problems}") from None
    moved = reschedule_open_tasks(session, notice.year)
    session.commit()
    click.echo(
        f"已录入 {notice.year} 年节假日安排：放假 {len(notice.holidays)} 天，"
        f"调休上班 {len(notice.workdays)} 天；{moved} 个未办结任务的期限已重算"
    )
    click.echo(f"工作日历覆盖至 {arrangement.coverage().last_day.isoformat()}")


@calendar.command("show")
@with_appcontext
def calendar_show():
    """Print the covered range and the warning admins see, if any."""
    from webapp.working_calendar import arrangement

    arrangement.refresh(db_session(), recheck=False)
    coverage = arrangement.coverage()
    click.echo(f"工作日历覆盖 {coverage.first_year} 年至 {coverage.last_day.isoformat()}")
    if coverage.warning:
        click.echo(coverage.warning)


def _lines(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


@main.group()
def audit():
    """The audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Recompute the audit trail's hash chains; exit 1 and name the first broken event."""
    from webapp.audit.chain import verify
    from webapp.clock import now
    from webapp.supervision.models import AuditVerification

    session = db_session()
    result = verify(session)
    broken = result.first_break
    # Kept for the supervisors' dashboard (审计链校验), whatever the answer.
    session.add(
        AuditVerification(
            checked_at=now(),
            events=result.events,
            chains=result.chains,
            intact=result.intact,
            message=None if broken is None else f"链 {broken.chain}：{broken.message}"[:500],
        )
    )
    session.commit()
    if result.intact:
        click.echo(f"审计记录完整：{result.events} 条事件，{result.chains} 条链，校验通过")
        return
    where = f"事件 #{broken.event_id}" if broken.event_id is not None else "链尾"
    click.echo(f"审计记录被改动：链 {broken.chain} 的{where}：{broken.message}", err=True)
    raise SystemExit(1)


@main.group()
def report():
    """效能监督 reports."""


@report.command("monthly")
@click.option("--month", required=True, help="统计月份，YYYY-MM，例如 2026-11")
@click.option(
    "--to",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="写入的目录",
)
@click.option("--pdf/--no-pdf", default=True, help="同时写出可打印的 PDF")
@with_appcontext
def report_monthly(month: str, directory: Path, pdf: bool):
    """Write the month's 进度表 as XLSX (and PDF) into DIRECTORY."""
    from webapp.domain_errors import Invalid
    from webapp.supervision import report as monthly

    try:
        parsed = monthly.Month.parse(month)
    except Invalid as exc:
        raise click.UsageError(exc.message) from None
    made = monthly.monthly_report(db_session(), parsed)
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / f"{made.filename}.xlsx"]
    written[0].write_bytes(monthly.write_xlsx(made))
    if pdf:
        written.append(directory / f"{made.filename}.pdf")
        written[1].write_bytes(monthly.write_pdf(made))
    for path in written:
        click.echo(f"已写出 {path}")


@main.group()
def theme():
    """Themes."""


@theme.command("simulate")
@click.argument("code")
@with_appcontext
def theme_simulate(code: str):
    """Run every path of the theme's newest draft (else its newest version); exit 1 when a
    path has a problem that blocks publishing."""
    from webapp.themes import publishing
    from webapp.themes.lookup import get_theme
    from webapp.themes.simulation import draft_report, report_lines

    session = db_session()
    found = get_theme(session, code)
    bpmn = publishing.current_diagram(session, found)
    dmn = publishing.current_guidance(session, found)
    report = draft_report(session, found, bpmn, dmn)
    if report is None:
        click.echo(f"{found.name}：流程图未通过校验，无法模拟（请先在建模页面查看问题）", err=True)
        raise SystemExit(1)
    for line in report_lines(report):
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


# No app context for the command (FlaskGroup's default): the server's workers make their
# apps after the fork, and the master must not have imported the app's metrics first.
@main.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--dev", is_flag=True, help="开发服务器（Werkzeug，代码改动后自动重启），仅供开发")
def serve(host: str, port: int, dev: bool):
    """Serve the web app: gunicorn, YJS_WEB_WORKERS processes × YJS_WEB_THREADS threads."""
    # Settings are checked here, once, with their message: a worker that failed to start on
    # a bad setting would only be restarted by gunicorn, again and again.
    config = _checked_config()
    if dev:
        from werkzeug.serving import run_simple

        click.echo(f"YJS 开发服务器：http://{host}:{port}  （Ctrl+C 停止）")
        # Flask refuses app.run() inside its own CLI; the server underneath is the same.
        run_simple(host, port, create_app(), threaded=True, use_reloader=True)
        return
    from .serving import run_production_server

    configure_logging(config["LOG_FORMAT"], config["LOG_LEVEL"])
    click.echo(
        f"YJS 已启动：http://{host}:{port}  （{config['WEB_WORKERS']} 个进程 × "
        f"{config['WEB_THREADS']} 个线程；Ctrl+C 停止）"
    )
    run_production_server(config, host, port)


def _checked_config() -> dict:
    try:
        return load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("worker")
@click.option("--once", is_flag=True, help="只运行一轮后退出")
@click.option("--interval", default=30.0, type=float, help="两轮之间的秒数")
def worker(once: bool, interval: float):
    """Background worker: fires due timers and deadline checks (several may run at once)."""
    from .worker import run_worker

    config = _checked_config()
    configure_logging(config["LOG_FORMAT"], config["LOG_LEVEL"])
    if not run_worker(create_app(), once=once, interval=interval):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
