"""theme.yaml's supervision and denial settings: defaults, and clear refusals."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from forms import CatalogInvalid, load_catalog, load_theme_definition

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(PROCESSES / "catalog")


def _theme_with(tmp_path, extra: str) -> Path:
    theme = tmp_path / "enterprise-opening"
    shutil.copytree(PROCESSES / "themes" / "enterprise-opening", theme)
    path = theme / "theme.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return theme


def test_defaults_end_the_case_on_denial_and_warn_at_80_percent(catalog):
    theme = load_theme_definition(PROCESSES / "themes" / "enterprise-opening", catalog)
    assert theme.on_denial == "terminate"
    assert theme.yellow_card_at == Decimal("0.8")


def test_declared_policies_are_read(tmp_path, catalog):
    theme = load_theme_definition(
        _theme_with(tmp_path, "on_denial: continue\nyellow_card_at: 0.75\n"), catalog
    )
    assert (theme.on_denial, theme.yellow_card_at) == ("continue", Decimal("0.75"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("on_denial: ignore\n", "on_denial 应为 terminate"),
        ("yellow_card_at: 1.2\n", "yellow_card_at 应在 0.5 与 1 之间"),
    ],
)
def test_bad_policies_are_refused_with_the_key(tmp_path, catalog, extra, message):
    with pytest.raises(CatalogInvalid) as info:
        load_theme_definition(_theme_with(tmp_path, extra), catalog)
    assert any(message in str(p) for p in info.value.problems)
