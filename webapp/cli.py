"""The `yjs` command: database, themes, users, serving and the background worker."""

from __future__ import annotations

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
@with_appcontext
def demo_users():
    """Create one demo account per role (idempotent) and print the logins."""
    from webapp.accounts.users import ensure_demo_users

    session = db_session()
    logins = ensure_demo_users(session)
    session.commit()
    click.echo("演示账号（用户名 / 密码 / 角色）：")
    for username, password, label in logins:
        click.echo(f"  {username:<14} {password:<12} {label}")


@main.group()
def audit():
    """The audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Recompute the audit trail's hash chains; exit 1 and name the first broken event."""
    from webapp.audit.chain import verify

    result = verify(db_session())
    if result.intact:
        click.echo(f"审计记录完整：{result.events} 条事件，{result.chains} 条链，校验通过")
        return
    broken = result.first_break
    where = f"事件 #{broken.event_id}" if broken.event_id is not None else "链尾"
    click.echo(f"审计记录被改动：链 {broken.chain} 的{where}：{broken.message}", err=True)
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
