"""Start and stop a real `celery worker` process for tests."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from creatorhub.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def start_worker(*, hostname: str, env: dict[str, str], log_path: Path):
    """Start a worker on every queue and return once it answers a ping."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "creatorhub",
            "worker",
            "--queues",
            "default,deliver,inbox,fetch",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--hostname",
            hostname,
            "--without-mingle",
            "--without-gossip",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_file = log
    process.log_path = log_path
    node_name = hostname.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop_worker(process)
            pytest.fail(
                "the Celery worker exited at start-up:\n" + log_path.read_text(),
                pytrace=False,
            )
        # This worker's own answer: another one already running says
        # nothing about whether this one consumes yet.
        if celery_app.control.ping(destination=[node_name], timeout=1.0):
            return process
    stop_worker(process)
    pytest.fail(
        "the Celery worker did not answer within a minute:\n" + log_path.read_text(),
        pytrace=False,
    )


def start_embedded_worker(*, hostname: str, log_path: Path, env=None):
    """A worker on the embedded file broker and the test's SQLite database,
    as `make run` starts one (the SQLite pass).

    Earlier tests of the session left wake-ups in the broker's folder, for
    rows long gone; a new worker would work through all of them first, so
    they are purged before it starts.
    """
    celery_app.control.purge()
    return start_worker(
        hostname=hostname,
        env={
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "CREATORHUB_VAR_DIR": str(settings.VAR_DIR),
            **(env or {}),
        },
        log_path=log_path,
    )


def stop_worker(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log_file.close()


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, explain=None):
    """Poll `predicate` until it returns something truthy, or fail, adding
    what `explain()` says (the state of things) to the failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    detail = f"\n{explain()}" if explain else ""
    pytest.fail(
        f"gave up after {timeout:.0f} s waiting for {predicate.__doc__}{detail}",
        pytrace=not detail,
    )


def log_tail(process, lines: int = 40) -> str:
    """The last lines a worker started with `start_worker` wrote."""
    text = process.log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {process.log_path.name} (last {len(text)} lines)\n" + "\n".join(text)
