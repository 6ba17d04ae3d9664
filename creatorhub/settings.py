"""Creator Hub settings, read from the environment.

Every variable is listed in docs/configuration.md. The defaults run on a
laptop with no servers: a SQLite file and an embedded, file-based Celery
broker under ./var. Production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEVELOPMENT_SECRET_KEY = "creatorhub-development-key-never-use-in-production"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while DEBUG is off. Set SECRET_KEY "
        "to a long random value (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'), or DEBUG=true on a laptop."
    )

# The public host name creators' fediverse addresses end with
# (@alice@CREATORHUB_DOMAIN). Changing it later orphans every follower.
CREATORHUB_DOMAIN = env.str("CREATORHUB_DOMAIN", default="localhost:8000")
CREATORHUB_SCHEME = env.str("CREATORHUB_SCHEME", default="https")
CREATORHUB_NAME = env.str("CREATORHUB_NAME", default="Creator Hub")
CREATORHUB_VERSION = "0.1.0"
# Where the software lives, for NodeInfo's software.repository and
# software.homepage (what other servers and instance lists link to). A fork
# sets its own.
CREATORHUB_SOURCE_URL = env.str(
    "CREATORHUB_SOURCE_URL", default="https://github.com/creatorhub/creatorhub"
)
CREATORHUB_HOMEPAGE_URL = env.str(
    "CREATORHUB_HOMEPAGE_URL", default=CREATORHUB_SOURCE_URL
)
OPEN_REGISTRATIONS = env.bool("OPEN_REGISTRATIONS", default=True)

VAR_DIR = Path(env.str("CREATORHUB_VAR_DIR", default=str(BASE_DIR / "var")))

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[CREATORHUB_DOMAIN.split(":")[0], "localhost", "127.0.0.1", "[::1]"],
)
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{CREATORHUB_SCHEME}://{CREATORHUB_DOMAIN}"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "creatorhub",
    "accounts",
    "posts",
    "analytics",
    "moderation",
    "followers",
    "conversations",
    "federation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "creatorhub.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "creatorhub.logging.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After auth and messages: sessions' "last seen", and staff sent to set
    # up two-factor sign-in when it is required (accounts/middleware.py).
    "accounts.middleware.LoginSessionMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    # A view's Http404 is the styled 404 with DEBUG on too (creatorhub/errors.py).
    "creatorhub.errors.NotFoundPageMiddleware",
    # Last, as django-axes asks: turns a lock-out into the log-in page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "creatorhub.urls"
WSGI_APPLICATION = "creatorhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "creatorhub.context_processors.site",
            ],
        },
    },
]


# Database: a SQLite file unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'creatorhub.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write at the same time: WAL lets readers
    # go on during a write, and IMMEDIATE transactions wait for the write lock
    # instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", 60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Log-in throttling (django-axes; docs/configuration.md, "Log-in and
# two-factor"). The Axes backend refuses a locked-out account before any
# password is checked; failures are counted in the database, so a lock-out
# survives restarts and holds for every web process.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("CREATORHUB_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("CREATORHUB_LOGIN_LOCKOUT_MINUTES", default=15)
)
# Failures count per account at one address and per account from anywhere,
# so a guess spread over many addresses trips it too (the second always
# trips first; the first keeps axes' check that addresses count happy). Not
# per address alone: behind a proxy that is not configured
# (CREATORHUB_PROXY_COUNT) every visitor shares its address, and one
# person's typos would lock everyone out. Lock-outs log the address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
# Attempts during a lock-out do not extend it: it ends a cool-off after the
# last counted failure, and a password reset ends it at once.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# Successful log-ins are listed on each user's Security page instead.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The client's address (accounts.throttle.client_ip_address): REMOTE_ADDR,
# or behind this many proxies the address the outermost one was reached
# from, read from X-Forwarded-For.
CREATORHUB_PROXY_COUNT = env.int("CREATORHUB_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip_address"
# Two-factor sign-in (django-otp): required for admins and agency members
# when on; anyone may turn it on.
CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF = env.bool(
    "CREATORHUB_REQUIRE_TWO_FACTOR_FOR_STAFF", default=False
)
OTP_TOTP_ISSUER = CREATORHUB_NAME

# Analytics: a new follower who liked, boosted or replied to a post this
# many days before following counts for that post (analytics.insights).
ANALYTICS_ATTRIBUTION_DAYS = env.int("CREATORHUB_ATTRIBUTION_DAYS", default=7)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads larger than this are refused before they reach an image decoder.
MAX_IMAGE_UPLOAD_BYTES = env.int("MAX_IMAGE_UPLOAD_BYTES", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The Celery broker: Redis (REDIS_URL, also the shared cache), RabbitMQ
# (CELERY_BROKER_URL=amqp://...) or, with neither, the embedded file broker.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"
BROKER_SCHEME = CELERY_BROKER_URL.partition("://")[0].lower()
if BROKER_SCHEME == "filesystem":
    # The embedded broker: messages are files under var/broker, so `make run`
    # needs no server and a real worker process still runs every task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
elif BROKER_SCHEME in {"amqp", "amqps", "pyamqp"}:
    # RabbitMQ: every publish waits for the broker's confirm, so a message
    # the broker did not take raises instead of vanishing. Unacked messages
    # come back when a worker's connection closes (no visibility timeout);
    # a task must be acked within RabbitMQ's consumer_timeout (30 min by
    # default; our time limits are at most 150 s). docs/operations.md.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
elif BROKER_SCHEME.startswith(("redis", "rediss", "sentinel")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any countdown the code uses; see docs/operations.md.
        "visibility_timeout": 3600,
        # A Redis that stops answering without closing the connection
        # fails a publish in seconds instead of holding a web request forever.
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "creatorhub.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "creatorhub",
            # The request path asks it things (the inbox's wake-up flag,
            # key-fetch slots): a Redis that stops answering fails them in
            # seconds instead of holding the request.
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 3},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default=f"Creator Hub <noreply@{CREATORHUB_DOMAIN.split(':')[0]}>",
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers that only make sense behind TLS are on when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# HSTS: a year when the instance is served over https (sent on https
# requests only); SECURE_HSTS_SECONDS=0 turns it off. docs/configuration.md.
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31_536_000 if CREATORHUB_SCHEME == "https" else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and stylesheets come from
# this server's static files only; no inline <script>, on*= handler or eval
# (htmx runs with allowEval off, base.html). Inline style="" attributes are
# allowed (style-src), <style> elements are not (style-src-elem): templates
# set computed widths and positions that way. Remote avatars are https
# images. docs/configuration.md, "Security".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "style-src-elem": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page here uses (creatorhub/security.py).
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default=(
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "browsing-topics=()"
    ),
)

# Federation: what the outbound client may reach. Both switches exist for
# development and tests against servers on this machine; keep them off in
# production (docs/configuration.md).
FEDERATION_ALLOW_HTTP = env.bool("FEDERATION_ALLOW_HTTP", default=DEBUG)
FEDERATION_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "FEDERATION_ALLOW_PRIVATE_ADDRESSES", default=False
)
# Mastodon's "secure mode": serve collections only to signed fetches.
FEDERATION_AUTHORIZED_FETCH = env.bool("FEDERATION_AUTHORIZED_FETCH", default=False)
# WebFinger and NodeInfo are always https on the real Fediverse; loopback
# test peers speak plain http.
FEDERATION_WEBFINGER_SCHEME = env.str("FEDERATION_WEBFINGER_SCHEME", default="https")
# Fernet keys that encrypt actors' private keys at rest; the first encrypts,
# all decrypt. Unset: derived from SECRET_KEY (then keep SECRET_KEY forever).
FEDERATION_KEY_ENCRYPTION_KEYS = env.list("FEDERATION_KEY_ENCRYPTION_KEYS", default=[])
FEDERATION_MAX_RESPONSE_BYTES = env.int(
    "FEDERATION_MAX_RESPONSE_BYTES", default=1024 * 1024
)
# Fetching a signer's key for a web request (federation/verification.py):
# each fetch within this many seconds, and at most this many at once across
# the web processes sharing the cache (keep it below the number of web
# workers, so a slow server never holds them all).
FEDERATION_KEY_FETCH_SECONDS = env.float("FEDERATION_KEY_FETCH_SECONDS", 3.0)
FEDERATION_KEY_FETCH_CONCURRENCY = env.int("FEDERATION_KEY_FETCH_CONCURRENCY", 2)
# Delivery (federation/delivery.py; docs/configuration.md, "Delivery").
# Requests in flight per delivery worker process, and to one server.
FEDERATION_DELIVERY_CONCURRENCY = env.int("FEDERATION_DELIVERY_CONCURRENCY", 100)
FEDERATION_DELIVERY_PER_HOST = env.int("FEDERATION_DELIVERY_PER_HOST", 4)
FEDERATION_DELIVERY_BATCH = env.int("FEDERATION_DELIVERY_BATCH", 100)
# Followers read per page when an activity fans out (federation.outbound.fanout), and
# the rows one delivery task sends.
FEDERATION_FANOUT_PAGE = env.int("FEDERATION_FANOUT_PAGE", 1000)
FEDERATION_DELIVERY_TASK_ROWS = env.int("FEDERATION_DELIVERY_TASK_ROWS", 500)
FEDERATION_DELIVERY_TASKS = env.int("FEDERATION_DELIVERY_TASKS", 4)
# A row a worker holds is due again this long after it was claimed.
FEDERATION_DELIVERY_LEASE_SECONDS = env.int("FEDERATION_DELIVERY_LEASE_SECONDS", 180)
FEDERATION_DELIVERY_MAX_RETRIES = env.int("FEDERATION_DELIVERY_MAX_RETRIES", 16)
FEDERATION_DELIVERY_UNAVAILABLE_DAYS = env.int(
    "FEDERATION_DELIVERY_UNAVAILABLE_DAYS", 7
)
FEDERATION_DELIVERY_BREAKER_FAILURES = env.int(
    "FEDERATION_DELIVERY_BREAKER_FAILURES", 3
)
FEDERATION_DELIVERY_BREAKER_SECONDS = env.int("FEDERATION_DELIVERY_BREAKER_SECONDS", 60)
# Inbox (federation/inbox.py; docs/configuration.md, "Inbox"). Bodies larger
# than this are refused (413): Mastodon's activities are a few KB.
FEDERATION_INBOX_MAX_BYTES = env.int("FEDERATION_INBOX_MAX_BYTES", 256 * 1024)
# Activities one remote server may deliver a minute (verified ones count);
# beyond it, 429 with Retry-After before any signature check. 0: no limit.
FEDERATION_INBOX_RATE_PER_SERVER = env.int("FEDERATION_INBOX_RATE_PER_SERVER", 300)
# Stored activities are processed in this many partitions, by actor; up to
# FEDERATION_INBOX_DRAINERS runs (at most one per partition) process them at
# once (federation.inbound.processing). Rows stored under a larger number than a
# later one are left to the sweeper.
FEDERATION_INBOX_PARTITIONS = env.int("FEDERATION_INBOX_PARTITIONS", 16)
# Drains running at once, at most; each takes partitions no other holds.
FEDERATION_INBOX_DRAINERS = env.int("FEDERATION_INBOX_DRAINERS", 4)
FEDERATION_INBOX_BATCH_SIZE = env.int("FEDERATION_INBOX_BATCH_SIZE", 2000)
FEDERATION_INBOX_DRAIN_SECONDS = env.int("FEDERATION_INBOX_DRAIN_SECONDS", 20)
FEDERATION_INBOX_GATHER_SECONDS = env.float("FEDERATION_INBOX_GATHER_SECONDS", 1.0)
FEDERATION_INBOX_DRAIN_FLAG_SECONDS = env.int("FEDERATION_INBOX_DRAIN_FLAG_SECONDS", 30)
FEDERATION_INBOX_RETENTION_DAYS = env.int("FEDERATION_INBOX_RETENTION_DAYS", 30)

# Moving accounts (accounts/moves.py): one move per this many days, and a
# move can be undone within them (Mastodon's cooldown is 30 days).
ACCOUNT_MOVE_COOLDOWN_DAYS = env.int("ACCOUNT_MOVE_COOLDOWN_DAYS", 30)
# Importing a Mastodon archive (posts/archive.py): the largest upload taken,
# and the most its files may unpack to, in bytes.
ARCHIVE_IMPORT_MAX_BYTES = env.int("ARCHIVE_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
ARCHIVE_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "ARCHIVE_IMPORT_MAX_UNPACKED_BYTES", 2 * 1024 * 1024 * 1024
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.tokens.TokenScopeAllows",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "creatorhub.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Creator Hub API",
    "DESCRIPTION": (
        "Read and manage a creator's presence on the Fediverse. Authenticate "
        "with `Authorization: Token <secret>`; make a token (read only, or "
        "read and write) on the dashboard's API page."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Logging: readable lines on a laptop, one JSON object per line in production.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "creatorhub.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        # django-axes logs every log-in at INFO; lock-outs are WARNING (and
        # in the audit log).
        "axes": {"level": "WARNING"},
    },
}
