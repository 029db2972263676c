"""Settings checked at start-up: the development key kept in instance/, production's own key,
the production server's numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from webapp.config import ConfigError, development_secret_key, load_config
from webapp.licences import sources

RACERS = 4
ROUNDS = 5
# Each round, every racer spins until the round's "go" file appears, then asks for the key
# of that round's fresh instance folder: they start together, not an interpreter start-up
# apart, and a race that is lost only now and then gets several chances to show.
RACER = """
import sys, time
from pathlib import Path
from webapp.config import development_secret_key
root, me, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(rounds):
    (root / f"ready-{me}-{n}").touch()
    while not (root / f"go-{n}").exists():
        time.sleep(0)  # spin, but let the others (and the starter) run on 2 cores
    print(development_secret_key(root / f"instance-{n}"), flush=True)
"""


def _wait_for(paths: list[Path], racers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, "the racers are stuck"
        assert all(r.poll() is None for r in racers), [r.communicate() for r in racers]
        time.sleep(0.005)


def test_processes_racing_on_a_fresh_instance_all_read_one_key(tmp_path):
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path), str(i), str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(RACERS)
    ]
    for n in range(ROUNDS):
        _wait_for([tmp_path / f"ready-{i}-{n}" for i in range(RACERS)], racers)
        (tmp_path / f"go-{n}").touch()
    outputs = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
        outputs.append(out.split("\n")[:ROUNDS])
    for n in range(ROUNDS):
        instance = tmp_path / f"instance-{n}"
        stored = (instance / "secret_key").read_text()
        assert len(stored) == 64
        assert {keys[n] for keys in outputs} == {stored}, f"round {n}"
        # No candidate file is left behind, and the key is readable by its owner only.
        assert [p.name for p in instance.iterdir()] == ["secret_key"]
        assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


def test_threads_racing_on_a_fresh_instance_all_read_one_key(tmp_path):
    for n in range(2 * ROUNDS):
        instance = tmp_path / f"instance-{n}"
        start = threading.Barrier(16)
        keys, errors = [], []

        def race(instance=instance, start=start, keys=keys, errors=errors):
            start.wait()
            try:
                keys.append(development_secret_key(instance))
            except Exception as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=race) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, f"round {n}"
        stored = (instance / "secret_key").read_text()
        assert len(stored) == 64 and keys == [stored] * 16, f"round {n}"


def test_the_development_key_survives_a_restart(tmp_path):
    first = development_secret_key(tmp_path)
    assert development_secret_key(tmp_path) == first


def test_an_empty_key_file_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="为空"):
        development_secret_key(tmp_path)


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean YJS_* environment with a fresh instance folder."""
    for name in list(os.environ):
        if name.startswith("YJS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("YJS_INSTANCE_DIR", str(tmp_path))
    return monkeypatch


def test_production_requires_its_own_secret_key(environment, tmp_path):
    environment.setenv("YJS_ENV", "production")
    with pytest.raises(ConfigError, match="YJS_ENV=production.*YJS_SECRET_KEY"):
        load_config()
    assert not (tmp_path / "secret_key").exists()  # no key was made up for it
    environment.setenv("YJS_SECRET_KEY", "too-short")
    with pytest.raises(ConfigError, match="YJS_SECRET_KEY 至少需要 32 个字符"):
        load_config()
    environment.setenv("YJS_SECRET_KEY", "p" * 32)
    config = load_config()
    assert config["SECRET_KEY"] == "p" * 32 and config["ENV_NAME"] == "production"


def test_development_keeps_its_key_in_the_instance_folder(environment, tmp_path):
    config = load_config()
    assert config["ENV_NAME"] == "development"
    assert config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_server_settings_have_defaults_for_a_small_machine(environment):
    config = load_config()
    assert (config["WEB_WORKERS"], config["WEB_THREADS"]) == (2, 4)
    assert config["WEB_KEEPALIVE"] == 75  # longer than nginx's upstream keepalive_timeout
    assert config["PROXY_HOPS"] == 0 and config["METRICS_TOKEN"] == ""
    assert config["LOG_FORMAT"] == "json"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("YJS_WEB_WORKERS", "0", "YJS_WEB_WORKERS 应为正整数"),
        ("YJS_WEB_THREADS", "many", "YJS_WEB_THREADS 应为正整数"),
        ("YJS_PROXY_HOPS", "-1", "YJS_PROXY_HOPS 应为非负整数"),
        ("YJS_ENV", "staging", "YJS_ENV 应为 development / production 之一"),
        ("YJS_LOG_FORMAT", "xml", "YJS_LOG_FORMAT 应为 json / text 之一"),
        ("YJS_METRICS_TOKEN", "short", "YJS_METRICS_TOKEN 至少需要 16 个字符"),
    ],
)
def test_wrong_settings_are_refused_with_their_name(environment, name, value, message):
    environment.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_serve_stops_at_a_wrong_setting_with_its_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YJS_")}
    env.update({"YJS_ENV": "production", "YJS_INSTANCE_DIR": str(tmp_path)})
    yjs = Path(sys.executable).parent / "yjs"
    done = subprocess.run(
        [str(yjs), "serve", "--port", "5699"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "生产环境（YJS_ENV=production）必须设置 YJS_SECRET_KEY" in done.stderr


def test_sms_goes_to_the_file_channel_unless_a_gateway_is_configured(environment, tmp_path):
    config = load_config()
    assert config["SMS_CHANNEL"] == "log" and config["SMS_LOG_FILE"] == tmp_path / "sms.log"
    environment.setenv("YJS_SMS_CHANNEL", "http")
    with pytest.raises(ConfigError, match="YJS_SMS_HTTP_URL"):
        load_config()
    environment.setenv("YJS_SMS_HTTP_URL", "file:///etc/passwd")
    with pytest.raises(ConfigError, match="YJS_SMS_HTTP_URL"):
        load_config()
    environment.setenv("YJS_SMS_HTTP_URL", "https://sms.example.gov.cn/send")
    environment.setenv("YJS_SMS_HTTP_TIMEOUT", "3")
    config = load_config()
    assert config["SMS_HTTP_URL"] == "https://sms.example.gov.cn/send"
    assert config["SMS_HTTP_TIMEOUT"] == 3
    environment.setenv("YJS_NOTIFICATION_TEMPLATES_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="YJS_NOTIFICATION_TEMPLATES_DIR"):
        load_config()


def test_licences_come_from_the_local_wallet_unless_the_library_is_configured(environment):
    config = load_config()
    assert config["LICENCE_SOURCE"] == "local"
    assert isinstance(sources.source_from_config(config), sources.LocalWallet)
    environment.setenv("YJS_LICENCE_SOURCE", "http")
    with pytest.raises(ConfigError, match="YJS_LICENCE_LIBRARY_URL"):
        load_config()
    environment.setenv("YJS_LICENCE_LIBRARY_URL", "https://dzzz.example.gov.cn/api/licences")
    environment.setenv("YJS_LICENCE_LIBRARY_TOKEN", "t0ken")
    environment.setenv("YJS_LICENCE_LIBRARY_TIMEOUT", "2")
    library = sources.source_from_config(load_config())
    assert isinstance(library, sources.ProvincialLibrary)
    assert (library.url, library.token, library.timeout) == (
        "https://dzzz.example.gov.cn/api/licences",
        "t0ken",
        2,
    )
