"""Settings for the test suite: the real settings plus test-only safety nets.

DATABASE_URL and REDIS_URL still come from the environment, so the same
suite runs on SQLite with no servers and on PostgreSQL + Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-suite-only-key-not-secret")
os.environ.setdefault("CREATORHUB_DOMAIN", "hub.test")
os.environ.setdefault(
    "CREATORHUB_VAR_DIR", tempfile.mkdtemp(prefix="creatorhub-test-var-")
)

from creatorhub.settings import *  # noqa: E402, F403

# Hashing passwords properly is slow by design; tests do not need it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="creatorhub-test-media-")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files from the app folders, as `runserver` would, so live
# server and browser tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so a worker process can open the test database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["CREATORHUB_VAR_DIR"], "test.sqlite3")
    }

# The inbox's per-server rate limit counts in the cache, which outlives a
# test (and, with Redis, a run): the suite sends far more than a minute's
# allowance from mastodon.example. Tests of the limit set their own.
FEDERATION_INBOX_RATE_PER_SERVER = 0
