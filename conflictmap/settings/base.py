"""Base settings: everything that differs between machines is read from the environment."""

import os
import secrets
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import xstatic.pkg.jquery
import xstatic.pkg.leaflet
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    # Production must say its key; a development machine gets one generated once,
    # kept in a git-ignored file so sessions survive restarts.
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    key_file = Path(os.environ.get("SECRET_KEY_FILE", BASE_DIR / ".secret_key"))
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# HTTPS only when DEBUG is off; each can be turned off from the environment (e.g. a local HTTP demo).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Behind a proxy that terminates TLS, either turn the redirect off (the proxy redirects) or say
# which header carries the original scheme, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
# (only when the proxy always sets it: a client could send it too).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER")
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https.")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
# A year, as the HSTS preload list asks; set SECURE_HSTS_SECONDS=0 (or the two flags off) while
# trying HTTPS out, or when other sites on subdomains still serve plain HTTP.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or (0 if DEBUG else 31_536_000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens stored hashed (events.api.authentication)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "django_q",  # background jobs (conflictmap.jobs)
    "geodata",
    "events",
]

MIDDLEWARE = [
    # Outermost: after a large answer, the heap it freed goes back to the system (conflictmap/heap.py).
    "conflictmap.heap.HeapTrimMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "conflictmap.faults.DatabaseUnavailableMiddleware",
    "conflictmap.request_checks.NulQueryStringMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "conflictmap.throttles.LoginRateLimitMiddleware",
    "conflictmap.throttles.BuildLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Editors read published changes at once; the public after their publication delay (events/readers.py).
    "events.readers.ReaderMiddleware",
    # ?as_published=: a reader's GET read as the public could see it then (events/as_published.py).
    "events.as_published.AsPublishedMiddleware",
]

ROOT_URLCONF = "conflictmap.urls"

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

WSGI_APPLICATION = "conflictmap.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A kept connection is checked (SELECT 1) before a request's first query: after the database
        # restarts, each worker thread reconnects instead of failing one request on its dead connection.
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", default=True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue instead of failing with "database is locked": readers never block
    # writers (WAL), a write transaction takes the write lock when it begins (IMMEDIATE, so two
    # transactions cannot both read and then fail to upgrade), and a writer waits up to
    # SQLITE_TIMEOUT seconds for the lock. PostgreSQL is the database for real deployments.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("SQLITE_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles the time slice (a LATERAL lookup per town, estimated as costly) on
    # every request: 90-140 ms of code generation for a query that runs in ~350 ms at 10,000 towns.
    # The project's queries are index walks that JIT does not speed up, so it is off unless
    # POSTGRES_JIT=on (see PERFORMANCE.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c jit={'on' if os.environ.get('POSTGRES_JIT', 'off') == 'on' else 'off'}"
    )

# One cache every worker shares, so a layer one gunicorn worker built is served by the others:
# Redis when REDIS_URL is set (the production choice), else files under CACHE_DIR. Files rather than
# the database cache: a kept layer is a multi-MB Zstandard blob (events.exports), which the database
# cache stores base64-encoded in the data's own database (on SQLite, every GET that fills it would
# queue behind the editors' writes) and needs a createcachetable step. Django's FileBasedCache
# deflates every value again; conflictmap.file_cache.SharedFileCache does not. Measured with a
# 1.6 MB blob (control areas at 10,000 towns) on the loaded 2-core machine: read 0.1-0.3 ms, against
# 10-11 ms for FileBasedCache and 9.3 ms for the database cache (SQLite); written in 1 ms, against
# 104 and 23 ms. CACHE_MAX_ENTRIES bounds the disk: past it a third of the files are dropped at
# random (a layer is 0.02-2 MB at 10,000 towns, so 1,000 entries stay within ~2 GB).
# Entries are keyed by the data revision, never expired by hand.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Checked here: redis-py refuses a URL without its scheme only when first asked, as a 500 on every read.
for _url in (REDIS_URL.replace(";", ",").split(",") if REDIS_URL else []):
    if urlsplit(_url.strip()).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"REDIS_URL: '{_url}' is not a Redis URL (redis://host:6379/0, rediss://... or unix:///path/to.sock)."
        )
CACHE_DIR = Path(os.environ.get("CACHE_DIR") or BASE_DIR / "var" / "cache")
# Redis that stops answering is a cache miss, never a 500 (conflictmap.cache_backends): its socket
# waits are bounded by REDIS_TIMEOUT seconds, and after a failure it is asked again every few seconds.
_REDIS_OPTIONS = {"socket_connect_timeout": float(os.environ.get("REDIS_TIMEOUT", "1")),
                  "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "1"))}
CACHES = {
    "default": {"BACKEND": "conflictmap.cache_backends.ResilientRedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "conflictmap", "OPTIONS": _REDIS_OPTIONS}
    if REDIS_URL else {"BACKEND": "conflictmap.file_cache.SharedFileCache",
                       "LOCATION": str(CACHE_DIR),
                       "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "1000"))}}
}

# Rate limits (conflictmap.throttles): counters every worker shares, counted atomically. In Redis
# with REDIS_URL (in the files below while Redis is down), else in files under CACHE_DIR/throttle,
# each count taken under a lock (Django's file and database caches would lose concurrent counts).
_THROTTLE_FILES = {"BACKEND": "conflictmap.cache_backends.CounterFileCache",
                   "LOCATION": str(CACHE_DIR / "throttle"), "OPTIONS": {"MAX_ENTRIES": 100_000}}
if REDIS_URL:
    CACHES["throttle"] = {"BACKEND": "conflictmap.cache_backends.ResilientRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "conflictmap", "OPTIONS": _REDIS_OPTIONS}
    CACHES["throttle-fallback"] = _THROTTLE_FILES
else:
    CACHES["throttle"] = _THROTTLE_FILES
# The proxies in front of the app (addresses or networks, e.g. TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8):
# only a request arriving from one of them has its X-Forwarded-For read for the client's address
# (conflictmap.request_checks.client_address). None by default: the client is REMOTE_ADDR, so a
# client cannot pick a new address for each password guess by sending the header itself.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: '{_proxy}' is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)."
        ) from None
# Background jobs (conflictmap.jobs): django-q2. Its queue is this database by default (no other
# service to run), Redis when REDIS_URL is set; `make serve` starts its worker beside gunicorn
# (`manage.py jobs_worker`). JOBS_SYNC=1 runs each job inside the request that queues it (`make run`,
# the tests). A job may take an hour (a 200,000-row import takes well over a minute); a task the worker
# took and never finished is not taken again (max_attempts 1): the job reports it failed instead.
JOBS_SYNC = env_bool("JOBS_SYNC")
Q_CLUSTER = {
    "name": "conflictmap",
    "workers": int(os.environ.get("JOB_WORKERS") or 2),
    "timeout": 3600,
    "retry": 3660,
    "max_attempts": 1,
    "ack_failures": True,
    "recycle": 50,
    "poll": 1,
    "save_limit": 250,
    "sync": JOBS_SYNC,
    # No scheduled tasks yet: its check opens a write transaction every 30 s (SQLite's write lock).
    "scheduler": False,
    "label": "Background jobs",
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
}
# The admin import's checked files wait here for their owner's confirm, an hour at most.
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR") or BASE_DIR / "var" / "uploads")
# Citable releases (manage.py release): each release's files, written once and never changed.
RELEASES_DIR = Path(os.environ.get("RELEASES_DIR") or BASE_DIR / "var" / "releases")
# Files written once per state of the data and sent from disk: the whole history's spans, or a long period of
# spans or changes, as a GeoPackage (events.queued_files), the newest of each question, at most a dozen.
EXPORTS_DIR = Path(os.environ.get("EXPORTS_DIR") or BASE_DIR / "var" / "exports")
# The control data's licence as an SPDX id (a release's CITATION.cff "license"), e.g. CC-BY-4.0; empty: none named.
RELEASES_LICENSE = os.environ.get("RELEASES_LICENSE", "")
# The site's address (https://...), so a release's citation and CITATION.cff link to it; empty: a path only.
RELEASES_SITE_URL = os.environ.get("RELEASES_SITE_URL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party JS/CSS come from pip packages and are served by this app: no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR),
    ("vendor/jquery", xstatic.pkg.jquery.BASE_DIR),
]
# Development (`make run`) serves straight from the finders, no collectstatic step; production
# (`make serve`, DEBUG off) serves collected files with hashed names, compressed, cached for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    # drf-spectacular's, plus the error answers of each operation (400, 401, 403, 404, 429...).
    "DEFAULT_SCHEMA_CLASS": "events.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a request without credentials hears 401 with "WWW-Authenticate: Token".
        "events.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # JSON bodies are bounded in depth and refuse NUL characters; size is DATA_UPLOAD_MAX_MEMORY_SIZE.
    "DEFAULT_PARSER_CLASSES": [
        "events.api.parsers.BoundedJSONParser",
        "events.api.parsers.NulRefusingFormParser",
        "events.api.parsers.NulRefusingMultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["conflictmap.throttles.WriteRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "events.api.exceptions.api_exception_handler",
}

# Requests per client: sign-in (admin form and API token) per address, writes per user, and
# anonymous reads that miss the cache and build a layer, diff or chart per address (reads served
# from the cache are not counted); N/s, N/min, N/hour or N/day.
RATE_LIMITS = {
    "login": os.environ.get("RATE_LIMIT_LOGIN", "10/min"),
    "write": os.environ.get("RATE_LIMIT_WRITE", "120/min"),
    "build": os.environ.get("RATE_LIMIT_BUILD", "60/min"),
}
for _scope, _rate in RATE_LIMITS.items():  # checked here, not as a 500 on the first request it limits
    _count, _, _period = _rate.partition("/")
    if not (_count.isascii() and _count.isdigit() and _period[:1] in {"s", "m", "h", "d"}):  # '³' isdigit()
        raise ImproperlyConfigured(f"RATE_LIMIT_{_scope.upper()}: '{_rate}' is not a rate such as 10/min or 100/hour.")

# API tokens (stored hashed) expire (default 7 days) and are revoked on logout, a password change and deactivation.
API_TOKEN_TTL_SECONDS = int(os.environ.get("API_TOKEN_TTL_SECONDS", str(7 * 24 * 3600)))

SPECTACULAR_SETTINGS = {
    "TITLE": "conflictmap API",
    "DESCRIPTION": "Who controlled which town and province, when, according to whom.",
    "VERSION": "1.0.0",
    # Swagger UI and Redoc from the drf-spectacular-sidecar package, served by this app: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several serializers have a "state": the review states of a record (changes, confirmations, claims) and
    # the two a new record may be entered in. Named here, so each choice set is one component.
    "ENUM_NAME_OVERRIDES": {
        "ReviewStateEnum": "events.models.ControlChange.State",
        "NewRecordStateEnum": ["draft", "published"],
    },
}

# Base map tiles: "osm" (OpenStreetMap), "none" (boundaries only; offline use and tests),
# or a tile URL template; MAP_TILES_ATTRIBUTION must accompany a custom URL.
MAP_TILES = os.environ.get("MAP_TILES", "osm")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "")
# The map's credit for the control data (empty: geodata.map_settings' CONTROL_ATTRIBUTION).
MAP_CONTROL_ATTRIBUTION = os.environ.get("MAP_CONTROL_ATTRIBUTION", "")
# The theatre (by slug) / and every page shows without ?theatre=; empty: the only theatre, else the oldest.
DEFAULT_THEATRE = os.environ.get("DEFAULT_THEATRE", "")
# A town's control area reaches at most this far (km) from it, inside its Voronoi cell and governorate.
CONTROL_AREA_RADIUS_KM = float(os.environ.get("CONTROL_AREA_RADIUS_KM", "15"))


def tile_hosts(tiles: str) -> list[str]:
    """The origins the map's tiles come from, for the Content-Security-Policy's img-src.

    "osm" is OpenStreetMap's tile server (geodata.maps.TILE_PRESETS), "none" loads no tiles, and a
    URL template's {s} subdomain becomes a wildcard. A template geodata.maps would refuse (no
    scheme) allows nothing, so a mistake never widens the policy.
    """
    tiles = tiles.strip()
    if tiles == "osm":
        return ["https://tile.openstreetmap.org"]
    parsed = urlsplit(tiles.replace("{s}", "subdomain-wildcard"))
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return []
    host = parsed.netloc.replace("subdomain-wildcard", "*")
    return [f"{parsed.scheme}://{host}"]


# Only this app's scripts and styles run; inline <script>/<style> blocks (the map's Folium code)
# carry the request's nonce (request.csp_nonce). Style attributes (a faction's colour swatch) are
# allowed: they cannot run code or fetch anything beyond img-src. Images: this host, data: URIs
# (Leaflet's inlined icons) and the configured tile host. Workers: this host only; the Redoc page alone
# adds blob: for its search worker (events/api/urls.py), so no other page may start a worker from a blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *tile_hosts(MAP_TILES)],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Timelapses (events.timelapse): a request past these bounds is refused (400 naming the bound), so one
# GET cannot hold a worker for minutes. 30 frames at 10,000 towns is the bench's figure.
def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(f"{name}: '{raw}' is not a positive whole number.")
    return int(raw)


TIMELAPSE_MAX_FRAMES = _positive_int("TIMELAPSE_MAX_FRAMES", 40)
TIMELAPSE_MAX_WIDTH = _positive_int("TIMELAPSE_MAX_WIDTH", 1600)  # pixels; the height follows the extent
# The embed route (/embed/) alone may be framed, by these sites (CSP frame-ancestors; "*" any site).
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", "*")

# Control drawn as polygons (manage.py import_control_areas): a file larger than this is refused unread.
# DeepStateMap's daily file is ~80 KB; ISW's layered files a few MB.
DRAWN_FILE_MAX_BYTES = _positive_int("DRAWN_FILE_MAX_BYTES", 50 * 1024 * 1024)

# Staleness (issue 23): a town whose latest change or confirmation is more than this many days before the
# date shown is "stale": the map can fade it (a toggle in its legend, off at first) and editors list it.
STALE_AFTER_DAYS = _positive_int("STALE_AFTER_DAYS", 90)
