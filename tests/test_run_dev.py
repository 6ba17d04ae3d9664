"""`make run` (scripts/run-dev): Ctrl-C or SIGTERM stops web and worker and
ends with status 0, so make reports no error.

Each case starts the whole thing (migrations, demo data, a Celery worker
with beat, the development server) on a free port with its own var
directory, waits until the page answers, then stops it as a person would.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Servers and settings of the test run that `make run` must not pick up.
NOT_PASSED_ON = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "CI",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("run-dev-var")


@pytest.mark.parametrize(
    ("how", "sig", "grace"),
    [
        ("Ctrl-C in the terminal", signal.SIGINT, "10"),
        ("SIGTERM", signal.SIGTERM, "10"),
        # A worker still busy when the grace is over is stopped cold (with
        # no grace at all, every stop takes that path).
        ("SIGTERM, worker stopped cold", signal.SIGTERM, "0"),
    ],
)
def test_stopping_make_run_is_clean_and_not_an_error(var_dir, how, sig, grace):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    env.update(
        CREATORHUB_VAR_DIR=str(var_dir),
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
        STOP_GRACE_SECONDS=grace,
    )
    log = (var_dir / f"run-dev-{sig.name}-{grace}.log").open("w+")
    script = subprocess.Popen(  # noqa: S603
        [str(ROOT / "scripts" / "run-dev")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group, as a terminal's job is
    )
    pgid = script.pid
    try:
        deadline = time.monotonic() + 180
        login = f"http://127.0.0.1:{port}/login/"
        while not answers(login):
            assert script.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.5)

        if sig == signal.SIGINT:
            os.killpg(pgid, sig)  # the terminal signals the whole job
        else:
            script.send_signal(sig)  # `kill`, a supervisor: the script only
        status = script.wait(timeout=60)

        output = Path(log.name).read_text()
        assert status == 0, f"{how}: status {status}\n{output}"
        assert "Stopped." in output
        if grace == "0":
            assert "stopping it now (nothing is lost)" in output
        deadline = time.monotonic() + 10
        while not group_is_gone(pgid):
            assert time.monotonic() < deadline, "web or worker outlived the script"
            time.sleep(0.2)
        assert not answers(login)
    finally:
        if not group_is_gone(pgid):
            os.killpg(pgid, signal.SIGKILL)
        script.wait(timeout=10)
        log.close()
