"""Qudao settings.

Every setting that differs between a laptop and production comes from an environment variable
with a safe local default (see docs/configuration.md). Nothing here needs editing to deploy.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from qudao.core.secret_key import local_key, read_local_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("QUDAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("QUDAO_DEBUG", False)
# Production sets QUDAO_SECRET_KEY. Without it: debug mode (and `qudao serve`, which sets it itself)
# use a random key kept in VAR_DIR for this machine; otherwise the key stays empty and the web
# application and the worker refuse to start (qudao.core.secret_key).
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("QUDAO_SECRET_KEY", "").strip())
if SECRET_KEY_FROM_ENVIRONMENT:
    SECRET_KEY = os.environ["QUDAO_SECRET_KEY"].strip()
elif DEBUG:
    SECRET_KEY = local_key(VAR_DIR)
else:
    SECRET_KEY = read_local_key(VAR_DIR)
ALLOWED_HOSTS = env_list("QUDAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("QUDAO_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("QUDAO_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "qudao.core",
    "qudao.accounts",
    "qudao.partners",
    "qudao.catalog",
    "qudao.pricing",
    "qudao.inventory",
    "qudao.orders",
    "qudao.finance",
    "qudao.rebates",
    "qudao.analytics",
]

MIDDLEWARE = [
    # Outermost: under /api/ every error answers problem details (JSON), never an HTML page.
    "qudao.core.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "qudao.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qudao.core.middleware.RequestContextMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qudao.accounts.middleware.UserLanguageMiddleware",
    "qudao.core.middleware.QueryTextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "qudao.urls"
WSGI_APPLICATION = "qudao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "qudao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qudao.accounts.context_processors.navigation",
                "qudao.core.context_processors.csp_nonce",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# Embedded SQLite (WAL, IMMEDIATE transactions) by default; PostgreSQL via QUDAO_DATABASE_URL.
DATABASE_URL = (
    os.environ.get("QUDAO_DATABASE_URL") or os.environ.get("DATABASE_URL") or (f"sqlite:///{VAR_DIR / 'qudao.sqlite3'}")
)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("QUDAO_DB_CONN_MAX_AGE", 0)))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing
        # half-way with "database is locked" (select_for_update is a no-op on SQLite).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = (
        {"NAME": os.environ.get("QUDAO_TEST_SQLITE", "")} if os.environ.get("QUDAO_TEST_SQLITE") else {}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["qudao.accounts.backends.LoginIdentifierBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock-out (qudao.accounts.services): this many failed log-ins on one account (however it is
# named) within the window lock it until the window has passed; a client address with four times
# as many failed passwords on real accounts is stopped for the window.
LOGIN_FAILURE_LIMIT = int(os.environ.get("QUDAO_LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("QUDAO_LOGIN_FAILURE_WINDOW", 900))
# The reverse proxies (addresses or networks) in front of the web processes: only a request that
# comes from one of them has its client's address read from X-Forwarded-For (qudao.core.proxies).
TRUSTED_PROXIES = env_list("QUDAO_TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"QUDAO_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
        ) from None

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("QUDAO_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "qudao" / "locale"]
TIME_ZONE = os.environ.get("QUDAO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# One date format per language (qudao/formats/<language>/formats.py); pages show local times.
FORMAT_MODULE_PATH = ["qudao.formats"]
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "qudao" / "static"]  # project-wide assets (qudao/static/qudao/)
# ... and the browser packages pinned in package.json, installed by `make install` (npm ci) into
# node_modules/: qudao.core.staticfinders serves the few files pages load under static/vendor/.
NODE_MODULES_DIR = BASE_DIR / "node_modules"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "qudao.core.staticfinders.NpmFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("QUDAO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from app static dirs when collectstatic was not run
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
LICENCE_UPLOAD_MAX_BYTES = int(os.environ.get("QUDAO_LICENCE_MAX_BYTES", 5 * 1024 * 1024))
IMPORT_UPLOAD_MAX_BYTES = int(os.environ.get("QUDAO_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
# What an uploaded .xlsx may expand to (the sum of its zip members' sizes), checked before it is
# opened: a 1 MB zip bomb can hold a sheet of 1 GB (docs/configuration.md).
IMPORT_MAX_EXPANDED_BYTES = int(os.environ.get("QUDAO_IMPORT_MAX_EXPANDED_BYTES", 100 * 1024 * 1024))
# A partner's proof of payment (photo or PDF) when it announces a payment.
PAYMENT_PROOF_MAX_BYTES = int(os.environ.get("QUDAO_PAYMENT_PROOF_MAX_BYTES", 5 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("QUDAO_IMPORT_MAX_ROWS", 20000))
# A list export with more rows than this is written by a job (progress, then a download link) instead
# of in the request (qudao.core.exports).
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("QUDAO_EXPORT_INLINE_MAX_ROWS", 5000))
# A price list whose prices go more than this many percent below the base list waits for approval.
PRICING_APPROVAL_DISCOUNT_PERCENT = os.environ.get("QUDAO_PRICING_APPROVAL_DISCOUNT_PERCENT", "15")
STOCK_DISPLAY = os.environ.get("QUDAO_STOCK_DISPLAY", "bands")  # partners see "exact" numbers or "bands"
# Attempts of one webhook delivery before it is given up ("dead"; it can still be replayed).
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("QUDAO_WEBHOOK_MAX_ATTEMPTS", 20))
# Webhooks never go to loopback, private, link-local or other internal addresses, except to these
# host names and IP networks (an on-premise ERP: "erp.corp.example,10.20.0.0/16").
WEBHOOK_ALLOWED_HOSTS = env_list("QUDAO_WEBHOOK_ALLOWED_HOSTS", "")
# When an order waits for approval (besides being over the partner's credit limit): at or above this
# total, more than this percent below list, or among a partner's first N orders. Empty/0: never.
ORDER_APPROVAL_ABOVE = os.environ.get("QUDAO_ORDER_APPROVAL_ABOVE", "")
ORDER_APPROVAL_DISCOUNT_PERCENT = os.environ.get("QUDAO_ORDER_APPROVAL_DISCOUNT_PERCENT", "")
ORDER_APPROVAL_FIRST_ORDERS = os.environ.get("QUDAO_ORDER_APPROVAL_FIRST_ORDERS", "0")
# How partners pay for orders: "credit", "prepayment", or both ("credit,prepayment"; the first is the default).
ORDER_PAYMENT_METHODS = os.environ.get("QUDAO_ORDER_PAYMENT_METHODS", "credit,prepayment")
ORDER_CHANGES_SETTLE_SECONDS = int(os.environ.get("QUDAO_ORDER_CHANGES_SETTLE_SECONDS", "5"))
# When an order's stock is reserved ("submitted" or "confirmed"), and whether a line may take what
# there is and wait for the rest (backorder) instead of being refused.
ORDER_RESERVE_STOCK_AT = os.environ.get("QUDAO_ORDER_RESERVE_STOCK_AT", "submitted")
ORDER_ALLOW_BACKORDERS = env_bool("QUDAO_ORDER_ALLOW_BACKORDERS", False)
# A shipped order the partner has not confirmed becomes delivered after this many days.
ORDER_AUTO_CONFIRM_DAYS = int(os.environ.get("QUDAO_ORDER_AUTO_CONFIRM_DAYS", 7))
# When finance raises an invoice: at each "shipment" (what it carries) or when the order is "delivered".
INVOICE_ON = os.environ.get("QUDAO_INVOICE_ON", "shipment")
# The share (percent) of an order's value a partner may pay from its rebate fund (返利池); 0: none.
REBATE_MAX_SHARE = os.environ.get("QUDAO_REBATE_MAX_SHARE", "30")
# Rebate money not used within this many days of its deposit expires (oldest first); 0: never.
REBATE_EXPIRY_DAYS = int(os.environ.get("QUDAO_REBATE_EXPIRY_DAYS", "0"))

# --- Jobs (Huey) ----------------------------------------------------------------------------
# SqliteHuey on a laptop; RedisHuey when QUDAO_REDIS_URL is set. QUDAO_JOBS_IMMEDIATE runs jobs
# in-process (tests, and single-process demos).
REDIS_URL = os.environ.get("QUDAO_REDIS_URL", "")
HUEY = {
    "name": "qudao",
    "immediate": env_bool("QUDAO_JOBS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": int(os.environ.get("QUDAO_WORKERS", 2)), "worker_type": "thread"},
}
# A running job's lease (qudao.core.jobs): renewed every quarter of it while the job runs; a job
# whose lease expired and whose process is gone is failed as "the worker stopped" (within a minute
# more: the worker checks every minute, and the job page when it is looked at).
JOB_LEASE_SECONDS = float(os.environ.get("QUDAO_JOB_LEASE_SECONDS", 120))
# Tests only: each progress step of a job sleeps this long, so a test can kill a worker half-way.
JOB_TEST_STEP_SECONDS = float(os.environ.get("QUDAO_TEST_JOB_STEP_SECONDS", 0))
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "jobs.sqlite3")})

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("QUDAO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("QUDAO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("QUDAO_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("QUDAO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("QUDAO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("QUDAO_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("QUDAO_FROM_EMAIL", "Qudao <no-reply@qudao.local>")
# Where the file backend (QUDAO_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend)
# writes the e-mails, one file per sending connection.
EMAIL_FILE_PATH = os.environ.get("QUDAO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("QUDAO_HTTPS", False):
    SECURE_SSL_REDIRECT = env_bool("QUDAO_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("QUDAO_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("QUDAO_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QUDAO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Configured here so the job worker (run_huey) does not add a second handler of its own.
        "huey": {"handlers": ["console"], "level": os.environ.get("QUDAO_LOG_LEVEL", "INFO"), "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
DEMO_PASSWORD = os.environ.get("QUDAO_DEMO_PASSWORD", "qudao-demo-2026")

# Used in messages shown to users, kept here so a brand can rename the product.
PRODUCT_NAME = _("Qudao")
