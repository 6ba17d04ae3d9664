"""Settings come from the environment and refuse unsafe combinations."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with creatorhub.settings and `env`."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "creatorhub.settings", **env})
    clean.setdefault("CREATORHUB_VAR_DIR", str(ROOT / "var"))
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_with_the_development_key_when_debug_is_off():
    result = run_django("print('started')", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is the development key while DEBUG is off" in result.stderr


def test_starts_with_the_development_key_in_debug():
    result = run_django("print('started')", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_defaults_need_no_servers():
    """No DATABASE_URL and no REDIS_URL: SQLite and the embedded broker."""
    code = (
        "from django.conf import settings as s; import json; print(json.dumps("
        "[s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL]))"
    )
    result = run_django(code, DEBUG="true")
    assert result.returncode == 0, result.stderr
    engine, broker = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"


def test_database_and_redis_urls_select_postgresql_and_redis():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps("
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND']]))"
    )
    result = run_django(
        code,
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://hub:pw@db.internal:5432/creatorhub",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    assert result.returncode == 0, result.stderr
    engine, name, broker, cache = json.loads(result.stdout)
    assert engine == "django.db.backends.postgresql"
    assert name == "creatorhub"
    assert broker == "redis://cache.internal:6379/2"
    assert cache == "creatorhub.cache.RedisCache"
