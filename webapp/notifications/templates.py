"""The Chinese text of each notification, from editable files (`message_templates/`).

One file per event; read when a notification is written, so an edited file is used by the
next notification. Whatever a template makes of its variables, the text that leaves is
masked once more (ID numbers, mobile numbers): personal data never goes out in an SMS.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from webapp.logging_setup import mask_text

DEFAULT_DIR = Path(__file__).resolve().parent / "message_templates"
FIELDS = {"标题": "title", "短信": "sms", "正文": "body"}


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    sms: str
    body: str


class TemplateMissing(RuntimeError):
    pass


def render(directory: Path, event: str, variables: dict[str, str]) -> RenderedMessage:
    path = Path(directory) / f"{event}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateMissing(f"通知模板 {path} 不存在") from None
    parts: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for label, name in FIELDS.items():
            for colon in ("：", ":"):
                if line.startswith(label + colon):
                    parts[name] = line[len(label) + 1 :].strip()
    values = {k: str(v) for k, v in variables.items()}

    def fill(name: str) -> str:
        return mask_text(string.Template(parts.get(name, "")).safe_substitute(values))

    return RenderedMessage(title=fill("title"), sms=fill("sms"), body=fill("body"))


def mask_name(name: str) -> str:
    """ "陈志明" → "陈*明", "张三" → "张*": enough to recognise oneself, not to identify."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
