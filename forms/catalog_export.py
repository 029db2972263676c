"""Writing item records back as the YAML files of processes/catalog/items/.

Records edited in the browser are exported this way, so git stays the source of the
shipped catalog: the file reads back into the same record (`load_catalog`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _plain_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _plain_str)


def item_yaml(document: Mapping[str, Any]) -> str:
    """The record as an item file: a heading comment with its name, keys in record order."""
    body = yaml.dump(dict(document), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return f"# {document.get('name', document.get('code', ''))}\n{body}"
