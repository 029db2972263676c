"""The catalog editor's form as a browser posts it, built from an item file."""

from __future__ import annotations

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
