"""`yjs worker` is a real separate process that runs against the configured database."""

from __future__ import annotations

import os
import subprocess
import sys


def _run_worker_once(database_url: str, instance_dir) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "YJS_DATABASE_URL": database_url,
        "YJS_INSTANCE_DIR": str(instance_dir),
        "YJS_SECRET_KEY": "w" * 40,
    }
    return subprocess.run(
        [sys.executable, "-m", "webapp.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worker_runs_one_sweep_as_a_process(app, database_url, tmp_path):
    done = _run_worker_once(database_url, tmp_path)
    assert done.returncode == 0, done.stderr


def test_worker_with_an_unreachable_database_says_so(tmp_path):
    done = _run_worker_once("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    assert done.returncode == 1
    assert "sweep failed" in done.stderr
