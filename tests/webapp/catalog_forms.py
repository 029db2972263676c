"""The catalog editor's form as a browser posts it, built from an item file."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import yaml

ITEMS = Path(__file__).resolve().parents[2] / "processes" / "catalog" / "items"


def item_file(code: str) -> dict:
    return yaml.safe_load((ITEMS / f"{code}.yaml").read_text(encoding="utf-8"))


def item_form(document: dict, *, required: dict | None = None, **changes) -> list[tuple]:
    """The editor's fields for `document` with `changes` (promised_days=2, …); `required`
    overrides fields' 必填 ticks by key. Unticked checkboxes post nothing, as in a browser."""
    doc = {**document, **changes}
    required = {**{f["key"]: f["required"] for f in doc["fields"]}, **(required or {})}
    form = [
        ("promised_days", str(doc["promised_days"])),
        ("legal_days", str(doc["legal_days"])),
        ("legal_basis", "\n".join(doc.get("legal_basis", []))),
        ("result_name", doc["result"]["name"]),
        ("result_type", doc["result"]["type"]),
    ]
    if doc["result"]["e_licence"]:
        form.append(("result_e_licence", "on"))
    form += [("delivery", m) for m in doc["delivery"]]
    for i, fee in enumerate(doc.get("fees") or []):
        form += [(f"fees-{i}-{k}", str(fee[k])) for k in ("name", "amount", "basis")]
    for i, use in enumerate(doc["fields"]):
        form.append((f"fields-{i}-key", use["key"]))
        if required.get(use["key"]):
            form.append((f"fields-{i}-required", "on"))
    for i, material in enumerate(doc["materials"]):
        for name in ("code", "name", "source", "original_or_copy", "copies", "e_licence_type",
                     "shared_from", "produced_by", "note"):  # fmt: skip
            if material.get(name) is not None:
                form.append((f"materials-{i}-{name}", str(material[name])))
        for box in ("required", "tolerance"):
            if material.get(box):
                form.append((f"materials-{i}-{box}", "on"))
    return form


class _EditorForm(HTMLParser):
    """What a browser posts from the editor page as shown: inputs, ticked boxes, the
    selected (else first) option of each select, textareas."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "item-form":
            self._inside = True
        if not self._inside:
            return
        if tag == "input" and a.get("type") != "submit" and a.get("name") != "csrf_token":
            if a.get("type") != "checkbox":
                self.fields.append((a["name"], a.get("value", "")))
            elif "checked" in a:
                self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._option = [a.get("value"), "selected" in a]
            self._options.append(self._option)
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data
        elif self._option is not None and self._option[0] is None:
            self._option[0] = data

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text))
            self._textarea = None


def page_form(html: str) -> list[tuple[str, str]]:
    parser = _EditorForm()
    parser.feed(html)
    return parser.fields
