"""Planted bugs must make the suite fail (`make mutants`; see README.md here).

For each patch in tests/mutations/ (or those named on the command line): copy the working
tree to a scratch directory, apply the patch there and run pytest in the copy: first the
tests the patch's header names as its catchers, then, if none of them fails, the whole
suite (without the browser tests). Report the first failing test. A mutant nothing notices
"survived": no test guards that line. Exits non-zero if any survived.

Standard library only; not collected by pytest (its name is not test_*.py).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
PYTEST = ["-m", "pytest", "-p", "no:cacheprovider", "--ignore=tests/e2e"]
# Not tracked by git but read by the suite: the built assets (copied, the copy is cheap)
# and node_modules (linked: only read, by the region-table tests).
COPIED_UNTRACKED = ["webapp/static/dist"]
LINKED_UNTRACKED = ["node_modules"]
# The packages whose code must come from the scratch copy, not the editable install.
PACKAGES = ["engine", "forms", "webapp"]
# A suite run that hangs is reported, not waited for forever.
TIMEOUT_SECONDS = 30 * 60
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass
class Mutant:
    path: Path
    bug: str = ""
    caught_by: list[str] = field(default_factory=list)
    needs_postgres: bool = False

    @property
    def name(self) -> str:
        return self.path.stem

    @classmethod
    def read(cls, path: Path) -> Mutant:
        """The patch's header: `# bug:`, `# caught by:` (repeatable), `# needs: postgresql`.
        `git apply` skips these lines, as it skips an e-mail's text before the diff."""
        mutant = cls(path)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("diff --git"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "bug":
                mutant.bug = value
            elif key == "caught by":
                mutant.caught_by.append(value)
            elif key == "needs" and value.lower() == "postgresql":
                mutant.needs_postgres = True
        return mutant


def database_url() -> str | None:
    return os.environ.get("YJS_TEST_DATABASE_URL") or None


def scratch_copy() -> Path:
    """The working tree as git sees it (tracked and new unignored files, edits included)."""
    scratch = Path(tempfile.mkdtemp(prefix="yjs-mutant-"))
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.exists():  # deleted in the working tree, not yet committed
            continue
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    for name in COPIED_UNTRACKED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, scratch / name, dirs_exist_ok=True)
    for name in LINKED_UNTRACKED:
        if (REPO / name).is_dir():
            (scratch / name).symlink_to(REPO / name, target_is_directory=True)
    return scratch


def suite_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The project is installed editable from the original tree; the copy must come first.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(scratch), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if database_url() is None:
        env.pop("YJS_TEST_DATABASE_URL", None)  # an empty value means SQLite too
    return env


def check_code_comes_from(scratch: Path) -> None:
    """Fail unless the scratch copy's packages are the ones Python imports there."""
    files = ", ".join(f"{p}.__file__" for p in PACKAGES)
    code = f"import {', '.join(PACKAGES)}; print({files}, sep=chr(10))"
    out = subprocess.run(
        [str(PYTHON), "-c", code],
        cwd=scratch,
        env=suite_env(scratch),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    strays = [f for f in out if not Path(f).resolve().is_relative_to(scratch.resolve())]
    if strays:
        sys.exit(f"the suite would test the original tree, not the copy: {strays}")


def apply(patch: Path, scratch: Path, *, check_only: bool = False) -> None:
    args = ["git", "apply", "--check"] if check_only else ["git", "apply"]
    # The copy is no repository: keep git from finding one above it and patching that.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(scratch.parent)}
    result = subprocess.run(
        [*args, str(patch)], cwd=scratch, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(
            f"{patch.name} no longer applies: the code it plants a bug in has moved; "
            f"update the patch.\n{result.stderr}"
        )


def run_suite(scratch: Path, *selection: str, stop_at_first: bool = True):
    args = [str(PYTHON), *PYTEST, "-q", *(["-x"] if stop_at_first else []), *selection]
    try:
        result = subprocess.run(
            args,
            cwd=scratch,
            env=suite_env(scratch),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, ""
    return result.returncode, result.stdout + result.stderr


def baseline(mutants: list[Mutant]) -> None:
    """The tests named as catchers must exist and pass on the unmutated copy: otherwise a
    "caught" below would mean nothing. Tests not in the tree yet are reported, not run."""
    scratch = scratch_copy()
    try:
        for mutant in mutants:
            apply(mutant.path, scratch, check_only=True)
        named = sorted({t for m in mutants for t in m.caught_by})
        present = present_tests(scratch, named)
        for missing in sorted(set(named) - set(present)):
            print(f"note: {missing} is not in the tree (yet)")
        if present:
            code, output = run_suite(scratch, *present, stop_at_first=False)
            if code != 0:
                sys.exit(f"the catching tests fail without any mutant:\n{output[-4000:]}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def present_tests(scratch: Path, named: list[str]) -> list[str]:
    return [t for t in named if (scratch / t.split("::")[0]).is_file()]


def try_mutant(mutant: Mutant, *, whole_suite_only: bool) -> str:
    """Run the header's catchers first (seconds), then, only if none of them fails, the
    whole suite: a mutant they miss may still be caught elsewhere, and the table says so."""
    if mutant.needs_postgres and database_url() is None:
        return "needs PostgreSQL (skipped)"
    scratch = scratch_copy()
    try:
        check_code_comes_from(scratch)
        apply(mutant.path, scratch)
        started = time.monotonic()
        catchers = [] if whole_suite_only else present_tests(scratch, mutant.caught_by)
        missed = ""
        code, output = run_suite(scratch, *catchers) if catchers else (0, "")
        if code == 0:
            if catchers:
                missed = f"  [{', '.join(catchers)} passed: check the header]"
            code, output = run_suite(scratch)
        took = f"{time.monotonic() - started:.0f} s"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if code is None:
        return f"TIMED OUT after {TIMEOUT_SECONDS} s"
    if code == 0:
        return f"SURVIVED ({took}){missed}"
    if code in (1, 2):  # tests failed / collection errors
        first = FAILED_LINE.search(output)
        return f"CAUGHT by {first.group(1) if first else '(see output)'} ({took}){missed}"
    print(output[-4000:])
    return f"ERROR: pytest exited {code}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patches", nargs="*", type=Path, help="default: tests/mutations/*.patch")
    parser.add_argument("--no-baseline", action="store_true", help="skip the clean-copy check")
    parser.add_argument(
        "--whole-suite",
        action="store_true",
        help="skip the catchers-first run: report the first failure in the suite's own order",
    )
    options = parser.parse_args()
    paths = [p.resolve() for p in options.patches] or sorted(HERE.glob("*.patch"))
    mutants = [Mutant.read(p) for p in paths]
    url = database_url()
    print(f"database: {'PostgreSQL (' + url.rsplit('@', 1)[-1] + ')' if url else 'SQLite'}")
    started = time.monotonic()
    if not options.no_baseline:
        baseline(mutants)
    results = []
    for mutant in mutants:
        print(f"{mutant.name}: {mutant.bug} …", flush=True)
        results.append((mutant.name, try_mutant(mutant, whole_suite_only=options.whole_suite)))
        print(f"  {results[-1][1]}", flush=True)

    width = max(len(name) for name, _ in results)
    print(f"\n{'mutant'.ljust(width)}  result")
    for name, verdict in results:
        print(f"{name.ljust(width)}  {verdict}")
    print(f"({time.monotonic() - started:.0f} s in all)")
    failed = [v for _, v in results if not (v.startswith("CAUGHT") or v.startswith("needs"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
