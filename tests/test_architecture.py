"""The shape the code keeps (README "Layout"): libraries free of the web app, the engine
behind its own API, the published theme read in one place, every import declared."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "forms", "webapp")


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Top-level names imported by a module (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("engine", {"flask", "flask_login", "sqlalchemy", "webapp", "forms"}),
        ("forms", {"flask", "flask_login", "sqlalchemy", "SpiffWorkflow", "webapp", "engine"}),
        # The web app talks to the engine through engine's functions only.
        ("webapp", {"SpiffWorkflow"}),
    ],
)
def test_package_does_not_import(package, forbidden):
    found = {
        f"{path.relative_to(REPO)}: {name}"
        for path in _modules(package)
        for name in _imports(path) & forbidden
    }
    assert not found


def _definition_reads(path: Path) -> list[str]:
    """`x.definition[...]`, `x.definition.get(...)` and `"…" in x.definition` in a module."""
    reads = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = None
        if (
            isinstance(node, ast.Subscript)
            or isinstance(node, ast.Attribute)
            and node.attr in ("get", "items", "keys")
        ):
            target = node.value
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
            target = node.comparators[0]
        if isinstance(target, ast.Attribute) and target.attr == "definition":
            reads.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return reads


def test_the_theme_definition_is_read_only_by_its_loader():
    loader = REPO / "webapp" / "themes" / "published.py"
    reads = [r for p in _modules("webapp") if p != loader for r in _definition_reads(p)]
    assert reads == []
    templates = [
        str(p.relative_to(REPO))
        for p in (REPO / "webapp" / "templates").rglob("*.html")
        if re.search(r"\.definition\b", p.read_text(encoding="utf-8"))
    ]
    assert templates == []


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in project["dependencies"]
    }


def test_every_package_the_code_imports_is_declared():
    distributions = packages_distributions()
    declared = _declared()
    missing = set()
    for package in PACKAGES:
        for path in _modules(package):
            for name in _imports(path):
                if name in sys.stdlib_module_names or name in PACKAGES or name == "__future__":
                    continue
                owners = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
                if not owners & declared:
                    missing.add(f"{name} ({path.relative_to(REPO)})")
    assert not missing, "imported but not declared in pyproject.toml"
