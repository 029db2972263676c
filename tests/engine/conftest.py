from __future__ import annotations

from pathlib import Path

import pytest

from engine.serialization import CaseStateSerializer
from engine.theme_spec import compile_theme

REPO = Path(__file__).resolve().parents[2]
ENTERPRISE_BPMN = REPO / "processes" / "themes" / "enterprise-opening" / "process.bpmn"
LANES = {
    name: code
    for code, name in [
        ("FRONT_DESK", "综合窗口"),
        ("SAMR", "市场监管局"),
        ("PSB", "公安局"),
        ("TAX", "税务局"),
        ("HRSS", "人社局"),
        ("HF", "住房公积金中心"),
    ]
}


@pytest.fixture(scope="session")
def enterprise_xml() -> str:
    return ENTERPRISE_BPMN.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def enterprise_theme(enterprise_xml):
    return compile_theme(enterprise_xml, LANES)


@pytest.fixture(scope="session")
def serializer():
    return CaseStateSerializer()
