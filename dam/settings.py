"""The one settings module. Everything comes from the environment (django-environ).

With nothing set, dam runs in its *embedded* shape: SQLite and files under ``var/``, background
work in-process. ``DATABASE_URL``, ``DAM_STORAGE=s3`` (+ bucket settings) and a broker URL turn it
into the production shape with no code change. Every setting is listed in the README.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import certifi
import django_stubs_ext
import environ

from dam.secret_key import embedded_secret_key
from dam.storage_config import filesystem_storages, s3_client_config, s3_storages

# Lets ModelAdmin[Asset] & co. be subscripted at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

MiB = 1024 * 1024

# --- core -------------------------------------------------------------------------------------
VAR_DIR = Path(env.str("DAM_VAR_DIR", default=str(BASE_DIR / "var")))
DEBUG = env.bool("DAM_DEBUG", default=False)
DATABASE_URL = env.str("DATABASE_URL", default="")
DAM_STORAGE = env.str("DAM_STORAGE", default="filesystem")
if DAM_STORAGE not in ("filesystem", "s3"):
    raise environ.ImproperlyConfigured("DAM_STORAGE must be 'filesystem' or 's3'")

# Embedded = nothing production-shaped configured. Only then may `make run` create a local
# admin account with a printed password, and only then is a development secret key acceptable.
DAM_EMBEDDED = not DATABASE_URL and DAM_STORAGE == "filesystem"

SECRET_KEY = env.str("DAM_SECRET_KEY", default="")
if not SECRET_KEY and DAM_EMBEDDED:
    SECRET_KEY = embedded_secret_key(VAR_DIR)  # random, made on first run, kept in var/ (0600)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DAM_SECRET_KEY must be set outside the embedded default")

ALLOWED_HOSTS = env.list("DAM_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DAM_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute URLs in API JSON and redirects are built from this when set (behind a proxy or CDN);
# outside a request (webhook payloads) always: unset, it is derived (dam/public_url.py).
DAM_PUBLIC_BASE_URL = env.str("DAM_PUBLIC_BASE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "dam.apps.DamAdminConfig",  # django.contrib.admin with dam's grouped index (dam/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",  # the API list filters (its templates draw their form in the browsable API)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "treebeard",
    "assets",
    "renditions",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dam.middleware.DependencyUnavailableMiddleware",  # database/broker/storage down → 503, not 500
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: answers locked-out logins
]

ROOT_URLCONF = "dam.urls"
WSGI_APPLICATION = "dam.wsgi.application"

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
            ],
            "libraries": {"dam_admin": "dam.admin_tags"},  # breadcrumbs that name the sidebar's groups
        },
    },
]

# --- database ---------------------------------------------------------------------------------
DATABASES: dict[str, dict[str, Any]] = {
    "default": env.db_url_config(DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions + a busy timeout: concurrent writers queue instead of failing with
    # "database is locked" (the render lease is written from several threads and processes).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # A file, not Django's shared-cache in-memory default: shared-cache table locks fail at once
    # instead of waiting, and the concurrency tests render from several threads and processes.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    # The near-duplicate bands' covering indexes (INCLUDE the hash) are plain indexes on SQLite,
    # as this warning says on every migrate; the lookup is correct either way (assets/similar.py).
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Persistent connections: opening one per request cost more than a warm hit's whole query.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DAM_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that asks the socket before it asks the server (a
    # round trip per request saved; dam/postgres/base.py says when it still asks the server).
    DATABASES["default"]["ENGINE"] = "dam.postgres"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- storage ----------------------------------------------------------------------------------
DAM_ORIGINALS_PREFIX = env.str("DAM_ORIGINALS_PREFIX", default="originals").strip("/")
DAM_RENDITIONS_PREFIX = env.str("DAM_RENDITIONS_PREFIX", default="renditions").strip("/")
DAM_UPLOADS_PREFIX = env.str("DAM_UPLOADS_PREFIX", default="uploads").strip("/")
MEDIA_URL = "/media/"

if DAM_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    DAM_RENDITIONS_PUBLIC = env.bool("DAM_RENDITIONS_PUBLIC", default=True)
    _storages = s3_storages(
        bucket=AWS_STORAGE_BUCKET_NAME,
        renditions_bucket=env.str("DAM_RENDITIONS_BUCKET", default="") or None,
        originals_prefix=DAM_ORIGINALS_PREFIX,
        renditions_prefix=DAM_RENDITIONS_PREFIX,
        uploads_prefix=DAM_UPLOADS_PREFIX,
        region=env.str("AWS_S3_REGION_NAME", default="") or None,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        cdn_domain=env.str("DAM_RENDITIONS_CDN_DOMAIN", default="") or None,
        renditions_public=DAM_RENDITIONS_PUBLIC,
        originals_storage_class=env.str("DAM_ORIGINALS_STORAGE_CLASS", default="STANDARD"),
        client_config=s3_client_config(
            connect_timeout=env.float("DAM_S3_CONNECT_TIMEOUT", default=3.0),
            read_timeout=env.float("DAM_S3_READ_TIMEOUT", default=20.0),
            addressing_style=env.str("AWS_S3_ADDRESSING_STYLE", default="auto"),
        ),
    )
else:
    DAM_RENDITIONS_PUBLIC = True
    _storages = filesystem_storages(
        VAR_DIR,
        originals_prefix=DAM_ORIGINALS_PREFIX,
        renditions_prefix=DAM_RENDITIONS_PREFIX,
        uploads_prefix=DAM_UPLOADS_PREFIX,
        media_url=MEDIA_URL,
    )

STORAGES: dict[str, dict[str, Any]] = {
    **_storages,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# --- ingest limits (README: Settings) -------------------------------------------------------------
DAM_MAX_UPLOAD_BYTES = env.int("DAM_MAX_UPLOAD_BYTES", default=50 * MiB)
DAM_MAX_IMAGE_PIXELS = env.int("DAM_MAX_IMAGE_PIXELS", default=100_000_000)  # ~300 MB as RGB
# frames × canvas: every frame of an animation is decoded onto a full canvas at ~12 bytes/px
# (Pillow's GIF decoder keeps the canvas, the previous one and the frame), so 100 MP keeps an
# animation's worst case (~0.7 GB, README) below a 100 MP still's.
DAM_MAX_TOTAL_PIXELS = env.int("DAM_MAX_TOTAL_PIXELS", default=100_000_000)
DAM_MAX_FRAMES = env.int("DAM_MAX_FRAMES", default=1000)
# Which validation decodes run in a resource-limited child process: off, rare (lossless and
# arithmetic JPEG: decoder paths outside the mainstream), all (+~8 ms per upload).
DAM_DECODE_SANDBOX = env.str("DAM_DECODE_SANDBOX", default="rare")
# Embedded metadata (XMP, IPTC, EXIF) is read at ingest; a GPS position is kept only when this is on.
DAM_STORE_GPS = env.bool("DAM_STORE_GPS", default=False)
# Rights ending within this many days are "expiring" (API `rights.status`, admin filters, notices).
DAM_RIGHTS_EXPIRING_DAYS = env.int("DAM_RIGHTS_EXPIRING_DAYS", default=30)
DAM_ALLOWED_FORMATS = env.list("DAM_ALLOWED_FORMATS", default=["JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIF"])
# Django keeps uploads above this in a temp file, so a 50 MB upload is never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The first handler parses multipart bodies with dam's file-name rule (assets/filenames.py).
FILE_UPLOAD_HANDLERS = [
    "assets.filenames.FileNameUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DAM_MAX_FILES_PER_REQUEST", default=100)
FILE_UPLOAD_TEMP_DIR = env.str("DAM_UPLOAD_TEMP_DIR", default="") or None
# Files the admin's upload page sends at once, each in its own request: enough to fill the pipe,
# few enough that one slow file does not hold a browser's 6 connections per host.
DAM_ADMIN_UPLOAD_CONCURRENCY = env.int("DAM_ADMIN_UPLOAD_CONCURRENCY", default=3)

# --- renditions -------------------------------------------------------------------------------
DAM_MAX_RENDITION_EDGE = env.int("DAM_MAX_RENDITION_EDGE", default=4096)
DAM_MAX_SPEC_LENGTH = env.int("DAM_MAX_SPEC_LENGTH", default=256)
DAM_MAX_SPEC_OPERATIONS = env.int("DAM_MAX_SPEC_OPERATIONS", default=8)
DAM_RENDER_SLOTS = env.int("DAM_RENDER_SLOTS", default=os.cpu_count() or 1)
DAM_RENDER_WAIT_SECONDS = env.float("DAM_RENDER_WAIT_SECONDS", default=10.0)
# A render lease outlives any sane render; a process killed mid-render frees it after this.
DAM_RENDER_LEASE_SECONDS = env.float("DAM_RENDER_LEASE_SECONDS", default=60.0)
# Frames × output pixels an animated rendition may hold; past it, only the first frame is kept.
DAM_MAX_ANIMATION_PIXELS = env.int("DAM_MAX_ANIMATION_PIXELS", default=50_000_000)
# Per-process memo of warm hits (immutable facts), so repeats skip the database. 0 disables.
DAM_HIT_CACHE_SECONDS = env.float("DAM_HIT_CACHE_SECONDS", default=60.0)
# Fill crops centre on the point ingest found (assets/analysis.py) when the editor set none.
DAM_AUTO_FOCAL_POINT = env.bool("DAM_AUTO_FOCAL_POINT", default=True)
# Near-duplicates: the largest dHash distance (of 64 bits) that counts as "looks like" (0–11; up to
# 7 the lookup probes each band within 1 bit, 8–11 within 2: about 8× the candidates).
DAM_SIMILAR_MAX_DISTANCE = env.int("DAM_SIMILAR_MAX_DISTANCE", default=7)
# "redirect": 302 to the storage/CDN URL. "proxy": stream the bytes (put a CDN in front).
DAM_DELIVERY = env.str("DAM_DELIVERY", default="redirect" if DAM_STORAGE == "s3" else "proxy")
# HMAC keys for ad-hoc rendition URLs; the first signs, all verify (rotation).
DAM_URL_SIGNING_KEYS = env.list("DAM_URL_SIGNING_KEYS", default=[SECRET_KEY])

# --- API (Django REST framework) ----------------------------------------------------------------
DAM_DIRECT_UPLOAD_EXPIRY = env.int("DAM_DIRECT_UPLOAD_EXPIRY", default=600)  # seconds
# A `complete` whose worker died (a codec crash, OOM, a deploy) leaves its claim behind; after this
# many seconds the claim is dead and a retried `complete` takes it over. Longer than any complete
# may run: the web server's request timeout kills a worker long before.
DAM_UPLOAD_COMPLETE_TIMEOUT = env.int("DAM_UPLOAD_COMPLETE_TIMEOUT", default=300)  # seconds
# An Idempotency-Key's first answer is replayed to retries for this long (Stripe keeps 24 h)...
DAM_IDEMPOTENCY_TTL = env.int("DAM_IDEMPOTENCY_TTL", default=86400)  # seconds
# ...and a first request that died (its worker killed) holds its key at most this long; above the
# web server's request timeout, which kills a request long before.
DAM_IDEMPOTENCY_LOCK_TIMEOUT = env.int("DAM_IDEMPOTENCY_LOCK_TIMEOUT", default=300)  # seconds
DAM_API_THROTTLE_RATE = env.str("DAM_API_THROTTLE_RATE", default="1200/min")  # per key or user
CACHES = {"default": env.cache_url("DAM_CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].startswith("django_redis"):
    # Shared by every web node (throttle counters). A Redis restart must not fail requests: the
    # cache fails open (throttling pauses) and gives up on a dead server within half a second.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}
    )
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["api.permissions.PerClientThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": DAM_API_THROTTLE_RATE},
    "DEFAULT_PAGINATION_CLASS": "dam.api.NewestFirstCursorPagination",
    "EXCEPTION_HANDLER": "dam.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["dam.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser",
                               "rest_framework.parsers.MultiPartParser",
                               "rest_framework.parsers.FormParser"],
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,  # `?format=png` is a filter of ours, not a renderer choice
}  # fmt: skip
SPECTACULAR_SETTINGS = {
    "TITLE": "dam API",
    "DESCRIPTION": "Assets, renditions and direct uploads. Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # An asset's status appears in two components (Asset, AssetCreated): name its enum once.
    "ENUM_NAME_OVERRIDES": {"AssetStatusEnum": "assets.models.Asset.Status"},
}

# --- background work (Celery) ------------------------------------------------------------------
# No broker (the embedded default): tasks run in-process, after commit. Redis in production.
DAM_BROKER_URL = env.str("DAM_BROKER_URL", default="")
CELERY_BROKER_URL = DAM_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not DAM_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]  # never pickle (django-imagekit's Celery backend does)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("DAM_TASK_QUEUE", default="dam")
CELERY_TASK_ACKS_LATE = True  # a killed worker's task runs again...
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ...including on SIGKILL / OOM
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks: don't hoard messages another worker could run
# A task must finish (or be killed) well before the broker would hand it to another worker.
DAM_BROKER_VISIBILITY_TIMEOUT = env.int("DAM_BROKER_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("DAM_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 30)
if CELERY_TASK_TIME_LIMIT >= DAM_BROKER_VISIBILITY_TIMEOUT:
    raise environ.ImproperlyConfigured("DAM_TASK_TIME_LIMIT must be below DAM_BROKER_VISIBILITY_TIMEOUT")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": DAM_BROKER_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queueing a task rides out a broker restart (a few seconds) before the request gives up with 503.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 20, "interval_start": 0, "interval_step": 0.25,
                                    "interval_max": 0.5}  # fmt: skip
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DAM_TASK_MAX_RETRIES = env.int("DAM_TASK_MAX_RETRIES", default=5)
DAM_WEBHOOK_TIMEOUT = env.float("DAM_WEBHOOK_TIMEOUT", default=5.0)
# Webhooks go to public https addresses only (SSRF). True lets tests and on-premises installs
# deliver to loopback/private addresses, over http too; link-local (cloud metadata) stays refused.
DAM_WEBHOOK_ALLOW_PRIVATE = env.bool("DAM_WEBHOOK_ALLOW_PRIVATE", default=False)
# CA certificates webhook endpoints are verified against (an internal CA on-premises).
DAM_WEBHOOK_CA_BUNDLE = env.str("DAM_WEBHOOK_CA_BUNDLE", default=certifi.where())
# Webhook deliveries are an outbox (assets/outbox.py): each is tried up to this many times, the
# retries spaced by a backoff doubling from DAM_WEBHOOK_BACKOFF_SECONDS up to 10 minutes
# (5 s, 10 s, 20 s … : 9 attempts span about 21 minutes).
DAM_WEBHOOK_MAX_ATTEMPTS = env.int("DAM_WEBHOOK_MAX_ATTEMPTS", default=9)
DAM_WEBHOOK_BACKOFF_SECONDS = env.float("DAM_WEBHOOK_BACKOFF_SECONDS", default=5.0)
# How often a sweep looks for deliveries whose send was lost (a process killed between the commit
# and the send, a broker that refused the task): the in-process sender's loop, and Celery beat.
DAM_WEBHOOK_SWEEP_SECONDS = env.float("DAM_WEBHOOK_SWEEP_SECONDS", default=60.0)
# How often Celery beat deletes expired, never-completed direct uploads (manage.py prune_uploads).
DAM_UPLOAD_PRUNE_SECONDS = env.float("DAM_UPLOAD_PRUNE_SECONDS", default=3600.0)
# An asset still processing this long after its eager task was queued or started has lost that
# task (a broker restart, a worker node gone, a broker down at upload): Celery beat queues it again,
# looking every DAM_EAGER_SWEEP_SECONDS. Running copies are harmless (renders are single-flight and
# only one copy announces the asset), so this only needs to exceed a task's usual wait in the queue.
DAM_EAGER_STALL_SECONDS = env.float("DAM_EAGER_STALL_SECONDS", default=600.0)
DAM_EAGER_SWEEP_SECONDS = env.float("DAM_EAGER_SWEEP_SECONDS", default=min(60.0, DAM_EAGER_STALL_SECONDS / 2))
CELERY_BEAT_SCHEDULE = {
    "send-lost-webhooks": {"task": "assets.tasks.sweep_webhooks", "schedule": DAM_WEBHOOK_SWEEP_SECONDS},
    "requeue-stalled-assets": {
        "task": "renditions.tasks.sweep_stalled_assets",
        "schedule": DAM_EAGER_SWEEP_SECONDS,
    },
    "prune-expired-uploads": {
        "task": "assets.tasks.prune_expired_uploads",
        "schedule": DAM_UPLOAD_PRUNE_SECONDS,
    },
}

# --- logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s pid=%(process)d %(name)s %(message)s"}},
    "filters": {"redact_urls": {"()": "dam.log_filters.RedactUrls"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DAM_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner, in every process and command
        # Filters on the loggers that make the records: no query string or URL password in any log.
        "urllib3.connectionpool": {"filters": ["redact_urls"]},
        "urllib3.connection": {"filters": ["redact_urls"]},
    },
}

# --- security ---------------------------------------------------------------------------------
# Outside the embedded default dam is served over TLS (deploy/ puts a TLS proxy in front):
# cookies are Secure unless told otherwise. `manage.py check --deploy` is clean with the
# production settings the README lists (a test runs it).
DAM_BEHIND_TLS_PROXY = env.bool("DAM_BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if DAM_BEHIND_TLS_PROXY else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DAM_SECURE_COOKIES", default=not DAM_EMBEDDED)
SECURE_SSL_REDIRECT = env.bool("DAM_SSL_REDIRECT", default=False)
# Load balancers and Prometheus probe these over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DAM_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DAM_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DAM_HSTS_PRELOAD", default=False)
X_FRAME_OPTIONS = "DENY"  # nothing of dam is ever framed (clickjacking the admin)

# Admin login rate limit (django-axes): after DAM_LOGIN_FAILURE_LIMIT failures an account, and
# separately a client address, is locked out for DAM_LOGIN_COOLOFF_MINUTES (429).
AUTHENTICATION_BACKENDS = [
    "dam.login_limits.RateLimitedLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one alone locks
AXES_FAILURE_LIMIT = env.int("DAM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("DAM_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "dam.login_limits.client_address"
# Reverse proxies in front of dam that append the client's address to X-Forwarded-For (nginx
# behind a load balancer: 2). 0 trusts no header and uses the socket's peer address.
DAM_TRUSTED_PROXIES = env.int("DAM_TRUSTED_PROXIES", default=0)

# /healthz details and /metrics for machines: `Authorization: Bearer <token>`. Empty: /healthz
# details are for staff sessions only, and /metrics is open (keep it off the public internet).
DAM_HEALTH_TOKEN = env.str("DAM_HEALTH_TOKEN", default="")
DAM_METRICS_TOKEN = env.str("DAM_METRICS_TOKEN", default="")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
