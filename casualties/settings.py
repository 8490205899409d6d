"""Settings for Casualty Ledger, read from the environment.

The embedded default is a SQLite file next to the code with DEBUG on; production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README "Deploying").
The database is chosen by DATABASE_URL alone, never by DEBUG.
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for the embedded default with DEBUG on; never used in production.
    SECRET_KEY = "insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "import_export",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "casualties",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CommonMiddleware, as its docs ask; it answers only under /api/ (CORS_URLS_REGEX).
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # After a request that may have written, the stored figures follow its writes.
    "claims.refresh.RefreshFiguresMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes turns a locked-out login into a 429 page; its docs ask for it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casualties.urls"
WSGI_APPLICATION = "casualties.wsgi.application"

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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while an editor writes; the busy timeout waits out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Refuses a login from a locked-out user and address before any password is checked.
    "casualties.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Public downloads are built once per data state and kept in the "downloads" storage
# (claims/public/downloads.py): by default this folder, which every web machine must share; set
# another storage backend for several machines. It may be emptied at any time (files are
# built again when asked for).
DOWNLOADS_CACHE_DIR = Path(
    os.environ.get("DOWNLOADS_CACHE_DIR", "") or BASE_DIR / "var" / "downloads"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "downloads": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DOWNLOADS_CACHE_DIR},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Release files (claims/releases.py): written once when a release is cut, then served as
    # they are forever. Every web machine must see the same files: in production, a shared
    # volume here or another backend in this entry (e.g. django-storages' S3).
    "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("RELEASES_STORAGE_DIR", "") or BASE_DIR / "var" / "releases"
        },
    },
}

# Every history row carries a reason; long reasons (an import's file name and user) fit.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = False

# Edit conflicts (casualties/concurrency.py): the version check is django-concurrency's
# versioned UPDATE; no database triggers, and a stale save raises EditConflict.
CONCURRENCY_AUTO_CREATE_TRIGGERS = False
CONCURRENCY_CALLBACK = "casualties.concurrency.raise_edit_conflict"

# The site's public address (https://ledger.example.org), for the "Cite as" line of a claim:
# never taken from the request, whose host and port the sender chooses. Empty: the path only.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SITE_URL must start with https:// (or http://).")

# Where the admin lives can be moved, e.g. ADMIN_URL=editorial-7f3a/ in production.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
if ADMIN_URL == "/":
    raise ImproperlyConfigured("ADMIN_URL must not be empty: the public pages live at /.")

# --- Production hardening. With DEBUG=0 every default below is the safe one; README
# "Deploying" lists the variables. With DEBUG on (the embedded default) plain http works.

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto and X-Forwarded-For.
# Never set it without such a proxy: a client could then claim https or any address.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
# How many proxies append to X-Forwarded-For; the client is that many entries from the right.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The claims' listing index carries the dates as included columns, for PostgreSQL's index-only
# reads; SQLite (the embedded default) ignores them and would say so at every start.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
)
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # The operator chose, by setting SECURE_HSTS_PRELOAD=0, not to offer the domain for preloading.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = os.environ.get("SECURE_REFERRER_POLICY", "same-origin")
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# The admin's forms carry the token in a hidden field; no script of ours reads the cookie.
CSRF_COOKIE_HTTPONLY = True


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline style text."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Inline styles in third-party admin templates we serve (our own templates have none), by
# template. Each is allowed by its hash alone; tests/casualties/test_security.py checks that
# the installed templates still have exactly these.
THIRD_PARTY_INLINE_STYLES = {
    # A <style> element on list pages without actions.
    "admin/change_list.html": [
        "\n      #changelist table thead th:first-child {width: inherit}\n    "
    ],
    # style="" attributes.
    "simple_history/object_history_list.html": ["border-top: 0"],
    "admin/import_export/export.html": ["padding: 0;", "font-weight: bold;"],
}

# Content-Security-Policy (django-csp 4): scripts only from our own static files, never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # 'unsafe-hashes' lets a style="" attribute match a hash; only the hashes below match.
        "style-src": [
            SELF,
            "'unsafe-hashes'",
            *sorted({csp_hash(t) for ts in THIRD_PARTY_INLINE_STYLES.values() for t in ts}),
        ],
        "img-src": [SELF, "data:"],  # data: for the empty favicon of the public pages
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Admin login throttling (django-axes): a user is locked out from one address after
# AXES_FAILURE_LIMIT failed logins for AXES_COOLOFF_MINUTES; other addresses are unaffected.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "casualties.security.client_ip"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own "django" logger has a console handler (DEBUG only) and propagates to the
    # root's as well, so each of its lines ("Watching for file changes") came out twice. Give
    # it no handler of its own: its records reach stderr once, through the root's.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Reconciled figures are cached (claims/reconciliation.py says how they are invalidated).
# Local memory per process by default; set CACHE_BACKEND and CACHE_LOCATION to share one
# cache between processes: django.core.cache.backends.redis.RedisCache and redis://host:port/db
# (README "Deploying"), which computes each figure once for every worker.
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache")
CACHES = {
    "default": {
        "BACKEND": CACHE_BACKEND,
        "LOCATION": os.environ.get("CACHE_LOCATION", "casualty-ledger"),
        "TIMEOUT": 300,
        # Only the memory cache takes these (other backends pass OPTIONS to their client).
        # Bounded: the figures of past days ("as known on") are cached here.
        "OPTIONS": {"MAX_ENTRIES": 1000} if CACHE_BACKEND.endswith(".LocMemCache") else {},
    }
}
# Rendered public pages shared by every process (claims.public.page_cache): at most this many
# rows, those of past data states culled first, then the oldest.
SHARED_PAGES_MAX = int(os.environ.get("SHARED_PAGES_MAX", 500))
# Backups keep these tables' structure but not their rows (rebuilt from the rest).
BACKUP_SKIPS_ROWS_OF = ["claims_renderedpage"]


# Imports (admin and commands): the largest file and the most rows one import takes
# (docs/import-export.md). Bigger files: split them.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 64 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
# What an import reads, whatever the file's size says (docs/import-export.md "Limits"): cells
# (empty ones inside rows too), what an XLSX inflates to, its longest cell, JSON nesting.
IMPORT_MAX_CELLS = env_int("IMPORT_MAX_CELLS", 5_000_000)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
IMPORT_MAX_CELL_BYTES = env_int("IMPORT_MAX_CELL_BYTES", 1024 * 1024)
IMPORT_MAX_JSON_DEPTH = env_int("IMPORT_MAX_JSON_DEPTH", 20)
# An upload waits this long for its confirm; older ones are refused and removed.
IMPORT_UPLOAD_MAX_AGE = env_int("IMPORT_UPLOAD_MAX_AGE", 6 * 60 * 60)

# --- The read-only JSON API at /api/v1/ (claims/api/, docs/api.md) ---------------------------
# Anonymous and read-only: no authentication class, so no session, cookie or CSRF is involved,
# and every client is throttled per address (casualties.security.client_ip, as axes does).
API_RATE = os.environ.get("API_RATE", "120/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["claims.api.throttling.AddressRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": API_RATE},
    "DEFAULT_PAGINATION_CLASS": "claims.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Casualty Ledger API",
    "DESCRIPTION": "Read-only, published data only: reconciled figures with their ranges and "
    "reasons, the claims behind them, and the named people register (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI's files come from the drf-spectacular-sidecar package, served as our own
    # static files: no CDN, and the CSP ('self' only) holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # The release API's people repeat the people API's choices: one enum each, named.
        "RecordOutcomeEnum": "casualties.models.CasualtyRecord.Outcome",
        "CategoryOutcomeEnum": "casualties.models.Category.Outcome",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.error_responses",  # 400, 404 and 429 on every operation
    ],
}
# CORS for the API only, GET (and HEAD, OPTIONS) from any origin, never with credentials.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
