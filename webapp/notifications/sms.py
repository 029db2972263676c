"""SMS adapters. `LogSmsChannel` (the default) appends each message to a file (one JSON
line: key, to, text) and logs it masked — a stand-in gateway for development and tests;
`HttpSmsChannel` posts to a real gateway configured by settings (YJS_SMS_*).

Each send carries the outbox message's idempotency key (`Idempotency-Key` header and the
`key` field): the worker may send a message twice, and the gateway drops the second.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from webapp.clock import now

log = logging.getLogger(__name__)


class SmsError(Exception):
    """A send that failed; `retry` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


class SmsChannel(Protocol):
    def send(self, mobile: str, text: str, key: str) -> None: ...


class LogSmsChannel:
    """The file channel: one JSON line per message, appended (the log line is masked)."""

    _lock = threading.Lock()

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, mobile: str, text: str, key: str) -> None:
        line = json.dumps(
            {"key": key, "to": mobile, "text": text, "at": now().isoformat()}, ensure_ascii=False
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        log.info("sms to %s: %s", mobile, text)  # masked by the log filter


class HttpSmsChannel:
    """POST {"to", "text", "key"} as JSON; 2xx is sent. Timeouts, connection errors, 429
    and 5xx are worth another try; other 4xx are not (the request itself is wrong)."""

    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, mobile: str, text: str, key: str) -> None:
        body = json.dumps({"to": mobile, "text": text, "key": key}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The URL is a setting checked to be http(s):// at start-up (config.py).
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body.encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            retry = exc.code >= 500 or exc.code == 429
            raise SmsError(f"短信网关返回 {exc.code}", retry=retry) from None
        except TimeoutError:
            raise SmsError("短信网关超时") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SmsError("短信网关超时") from None
            raise SmsError(f"短信网关无法连接：{type(exc.reason).__name__}") from None
        except OSError as exc:
            raise SmsError(f"短信网关无法连接：{type(exc).__name__}") from None


def channel_from_config(config) -> SmsChannel:
    if config["SMS_CHANNEL"] == "http":
        return HttpSmsChannel(
            config["SMS_HTTP_URL"], config["SMS_HTTP_TOKEN"], config["SMS_HTTP_TIMEOUT"]
        )
    return LogSmsChannel(config["SMS_LOG_FILE"])
