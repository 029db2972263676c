"""`make loadtest`: 企业开办 journeys over HTTP against the production server on PostgreSQL,
beside /healthz of the same server in the same run.

    .venv/bin/python -m bench.loadtest [--users 16] [--seconds 60] [--port 8765]

PostgreSQL from YJS_BENCH_DATABASE_URL (default: local `yjs_bench`; schema `public`
dropped and recreated). The server is `yjs serve` (gunicorn, default settings). locust
runs headless twice, bounded in time: first /healthz alone (the reference), then
`--users` journey users with established sessions (bench/loadtest/journeys.py). Printed:
cases/s, journey requests/s against /healthz requests/s, and p95 per action against the
/healthz p95. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..product_path import DEFAULT_PG_URL, _make_app, postgres_url, prepare_postgres

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HEALTH_SECONDS = 20
LOGIN = "登录 login"


def _server(url: str, instance: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "YJS_DATABASE_URL": url,
        "YJS_INSTANCE_DIR": instance,
        "YJS_SECRET_KEY": "l" * 40,
        "YJS_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(instance) / "server.log", "w"),  # noqa: SIM115
    )
    until = time.monotonic() + 60
    while time.monotonic() < until:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("yjs serve did not answer /healthz within 60 s")


def _locust(
    user_class: str, users: int, seconds: int, port: int, csv_prefix: Path, bounded=False
) -> dict:
    """Run locust headless; returns the journey window (seconds, journeys) if it wrote one."""
    out = Path(f"{csv_prefix}_window.json")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(HERE / "journeys.py"),
            user_class,
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            # Journeys: an upper bound; the users stop themselves after `seconds` of them.
            f"{seconds if bounded else seconds + 600}s",
            "--stop-timeout",
            "10",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],  # fmt: skip
        cwd=REPO,
        env={**os.environ, "YJS_LOADTEST_OUT": str(out), "YJS_LOADTEST_SECONDS": str(seconds)},
        check=False,  # locust exits 1 when any request failed: the figures say how many
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return json.loads(out.read_text()) if out.exists() else {}


def _rows(csv_prefix: Path) -> dict[str, dict]:
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as f:
        return {row["Name"]: row for row in csv.DictReader(f)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=int(os.environ.get("YJS_LOADTEST_PORT", 8765)))
    args = parser.parse_args(argv)
    pg = os.environ.get("YJS_BENCH_DATABASE_URL") or DEFAULT_PG_URL
    prepare_postgres(pg)
    url = postgres_url(pg).render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="yjs-loadtest-") as tmp:
        app = _make_app(url, Path(tmp))
        app.extensions["yjs_db"].engine.dispose()
        server = _server(url, tmp, args.port)
        try:
            print(f"… /healthz, {args.users} users, {HEALTH_SECONDS} s", file=sys.stderr)
            _locust(
                "HealthUser",
                args.users,
                HEALTH_SECONDS,
                args.port,
                Path(tmp) / "health",
                bounded=True,
            )
            print(f"… journeys, {args.users} users, {args.seconds} s", file=sys.stderr)
            window = _locust(
                "JourneyUser", args.users, args.seconds, args.port, Path(tmp) / "journey"
            )
            health = _rows(Path(tmp) / "health")["/healthz"]
            journey = _rows(Path(tmp) / "journey")
            failed = _failures(Path(tmp) / "journey")
            server_errors = _server_errors(Path(tmp) / "server.log") if failed else []
        finally:
            server.terminate()
            server.wait(timeout=30)
    health_rps, health_p95 = float(health["Requests/s"]), float(health["95%"])
    actions = {n: r for n, r in journey.items() if n not in ("Aggregated", LOGIN)}
    if not window:
        print("负载测试 / load test: 用户未能全部登录 not every user signed in within the run")
        return 1
    seconds, cases = window["seconds"], window["journeys"]
    journey_rps = sum(int(r["Request Count"]) for r in actions.values()) / seconds
    failures = sum(int(r["Failure Count"]) for r in actions.values())
    print(f"负载测试 / load test: 企业开办 over HTTP, yjs serve on PostgreSQL, {args.users} users")
    print(
        f"  办结 cases: {cases} in {seconds:.0f} s (all users signed in; sign-ins not counted) = "
        f"{cases / seconds:.2f} 件/秒 cases/s; 失败 failed requests {failures}"
    )
    print(
        f"  办件请求/秒 journey requests/s {journey_rps:.1f} vs /healthz {health_rps:.1f} "
        f"(same server, same run) = {journey_rps / health_rps:.2f}× (目标 target ≥ 0.35)"
    )
    print(f"  /healthz p95 {health_p95:.0f} ms (reference)")
    for name, row in sorted(actions.items()):
        p95 = float(row["95%"])
        print(
            f"  {name:<12} n={int(row['Request Count']):<6} p50 {float(row['50%']):6.0f} ms  "
            f"p95 {p95:6.0f} ms = {p95 / max(health_p95, 1):.1f}× /healthz p95 (目标 target ≤ 3×)"
        )
    for name, error, count in failed:
        print(f"  失败 failed: {name} ×{count}: {error}")
    for line in server_errors:
        print(f"  服务器日志 server log: {line}")
    return 0


def _server_errors(log: Path) -> list[str]:
    """The server's own account of what went wrong: each logged error's last line."""
    lines = []
    for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if entry.get("level") in ("ERROR", "CRITICAL"):
            trace = (entry.get("exc_info") or entry.get("message") or "").strip().splitlines()
            lines.append(trace[-1][:300] if trace else str(entry)[:300])
    return lines[:10]


def _failures(csv_prefix: Path) -> list[tuple[str, str, int]]:
    """What failed and why (locust's failures file), so a failure is read, not just counted."""
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [(r["Name"], r["Error"][:300], int(r["Occurrences"])) for r in csv.DictReader(f)]


if __name__ == "__main__":
    raise SystemExit(main())
