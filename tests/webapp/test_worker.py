"""`yjs worker` is a real separate process that runs against the configured database."""

from __future__ import annotations

import os
import subprocess
import sys


def test_worker_runs_one_sweep_as_a_process(app, database_url, tmp_path):
    env = {
        **os.environ,
        "YJS_DATABASE_URL": database_url,
        "YJS_INSTANCE_DIR": str(tmp_path),
        "YJS_SECRET_KEY": "w" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_worker_with_an_unreachable_database_says_so(tmp_path):
    env = {
        **os.environ,
        "YJS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "YJS_INSTANCE_DIR": str(tmp_path),
        "YJS_SECRET_KEY": "w" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "sweep failed" in done.stderr
