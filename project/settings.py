"""Settings for Community Honours, read from environment variables.

Every variable is listed in the README's settings table. Development needs none
of them: ``make setup`` writes ``var/dev.env`` (debug on, a key for this checkout),
which ``manage.py`` reads, and the site runs on a SQLite file under ``var/``.

These are the site's settings and nothing else: the test suite's switches live in
``tests/settings.py`` and the benchmarks' in ``bench/settings.py``, each importing
this module and overriding what it must.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "In development, run `make setup` once: it writes var/dev.env, which manage.py reads."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "allauth",
    "allauth.account",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "project",
    "families",
    "awards",
    "activities",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Control characters in the path, a query, a cookie or a form: 400 before any view or query sees them.
    "project.middleware.ControlCharacterMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "project.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "project.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite by default (one command on a laptop); PostgreSQL through DATABASE_URL.
# var/ is made by `make setup` (with var/dev.env), not here: importing settings writes nothing.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queued by the kernel rather than SQLite's busy handler, whose sleeps
    # made a few writers wait for seconds under load (project/sqlite/base.py).
    _db["ENGINE"] = "project.sqlite"
    _db["OPTIONS"] = {
        # Writers take the lock at BEGIN, so a read-then-write transaction never
        # fails half-way with "database is locked"; others wait up to 20 s.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Reusing the connection saves the open and the PRAGMAs on every request.
    _db["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "600"))
else:
    # Opening a connection per request cost 4-5x throughput in our benchmarks.
    _db["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "600"))
    # Off by default, as in Django: the check is one more round trip on every
    # request (a tenth of a vote's cost in our benchmarks). A connection that a
    # database restart cut fails one request with a clean 503, is closed, and
    # the next request reconnects (tests/project/test_faults.py).
    _db["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", False)
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("connect_timeout", 5)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks ------------------------------------------------------
# Django's tasks API (the django-tasks backport). Embedded default: tasks are rows in the
# database, run by `manage.py db_worker` (`make run` starts one beside the web server).
# Scale path: TASKS_BACKEND=django_tasks_rq.RQBackend keeps the same API and puts the queue in Redis (REDIS_URL),
# run by `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler` (the scheduler runs deferred tasks).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    if not os.environ.get("REDIS_URL"):
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend keeps its queue in Redis: set REDIS_URL.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"], "DEFAULT_TIMEOUT": 3600}}

# Scheduled work (project/schedule.py): one task, the tick, runs what is due and enqueues the next tick this many
# seconds later. `manage.py start_tick` starts it (make run and the worker's systemd unit run it before the worker).
TICK_SECONDS = int(os.environ.get("TICK_SECONDS", "60"))

# --- Cache ----------------------------------------------------------------
# Rate limits and cached public pages must be shared by every process, so the
# fallback is the database, never process-local memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "project.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}

# Sessions are read on every signed-in request: from the cache (Redis, or the database cache's one plain
# statement, about 0.13 ms against the ORM's 0.41 ms on SQLite), written through to the sessions table, so a
# cache flush signs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth and accounts ----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "project.backends.ModelBackend",
    "project.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "project.accounts.AccountAdapter"
ACCOUNT_FORMS = {"login": "project.account_forms.LoginForm", "verify_phone": "project.account_forms.VerifyPhoneForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email", "phone"}
# Email and phone are both optional: many elderly residents have neither, and
# the household join code is what proves residence.
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "phone", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "project.accounts.SignupExtraForm"
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
# Six digits, as every Chinese service texts them: elderly residents type digits, not "JSPJ-FQWW". Three wrong
# tries end the code (allauth's PHONE_VERIFICATION_MAX_ATTEMPTS), so guessing has 3 in 10^6 chances.
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
# Email and its verification are optional, so allauth's documented way to keep sign-up from telling whether an
# address has an account is "strict": a sign-up with a taken address goes through like any other (only one
# account can ever verify the address). "True" would answer "already registered" (tests/project/test_enumeration.py).
ACCOUNT_PREVENT_ENUMERATION = "strict"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Which address is the client's, for allauth's limits and ours (project/ratelimit.py `client_ip`).
# Unset, the socket address: right when gunicorn faces the internet, wrong behind a proxy, where every
# visitor would share the proxy's address and one storm of failed logins would lock everyone out.
# Behind the documented nginx: ALLAUTH_TRUSTED_CLIENT_IP_HEADER=X-Real-IP (or ALLAUTH_TRUSTED_PROXY_COUNT=1
# with X-Forwarded-For). Never set either when clients can reach gunicorn directly: they could then
# name any address they like.
try:
    ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT") or 0)
except ValueError as exc:
    raise ImproperlyConfigured("ALLAUTH_TRUSTED_PROXY_COUNT must be a whole number (0 without a proxy).") from exc
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("ALLAUTH_TRUSTED_PROXY_COUNT must not be negative.")
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", "").strip() or None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[社区荣誉] "
# The SMS sender is pluggable: a deployment points this at its provider's class. Unset: the console in
# development, and with debug off a disabled sender (phone sign-up and login say they are unavailable), so
# verification codes never go to a production log. The console with debug off fails `check --deploy`.
SMS_SENDER = os.environ.get("SMS_SENDER") or (
    "project.sms.ConsoleSMSSender" if DEBUG else "project.sms.DisabledSMSSender"
)
# Alibaba Cloud SMS (SMS_SENDER=project.sms.AliyunSMSSender): the RAM user's AccessKey, the approved signature and
# templates. The secret signs requests and is never logged.
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("ALIYUN_SMS_TEMPLATE_CODE", "")
ALIYUN_SMS_TEMPLATES = dict(
    item.split("=", 1) for item in env_list("ALIYUN_SMS_TEMPLATES") if "=" in item
)  # kind=TemplateCode,… for the texts other than the verification code
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_TIMEOUT_SECONDS = int(os.environ.get("ALIYUN_SMS_TIMEOUT_SECONDS", "10"))

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "project" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Files that are never public media: register uploads waiting for their check, and exports. Outside
    # MEDIA_ROOT (which the web server serves as /media/); served only by access-checked views.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": Path(os.environ.get("PRIVATE_FILES_ROOT") or VAR_DIR / "private")},
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Exports of more rows than this are written in the background (project/exports.py); finished ones are kept
# this many days, then the scheduled tick removes them (project.exports.remove_stale).
EXPORTS_DIRECT_MAX_ROWS = int(os.environ.get("EXPORTS_DIRECT_MAX_ROWS", 5000))
EXPORTS_KEPT_DAYS = int(os.environ.get("EXPORTS_KEPT_DAYS", 7))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o644

# --- Email and the outbox ----------------------------------------------------
# Every e-mail (ours, allauth's, Django's) becomes an outbox row in the caller's transaction; a task sends it after
# the commit through the delivery backend, which the EMAIL_BACKEND variable names (project/outbox.py).
EMAIL_BACKEND = "project.outbox.OutboxEmailBackend"
EMAIL_DELIVERY_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
if EMAIL_DELIVERY_BACKEND == EMAIL_BACKEND:
    raise ImproperlyConfigured("EMAIL_BACKEND names how mail leaves the site (e.g. SMTP), not the outbox itself.")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # seconds: a hung mail server must not hold a worker
# Minutes to wait after each temporary failure (then the message has failed), text messages a minute across all
# workers (0: no limit), and days a sent or failed message is kept.
OUTBOX_RETRY_MINUTES = [int(m) for m in env_list("OUTBOX_RETRY_MINUTES", "1,5,30,120")]
OUTBOX_SMS_PER_MINUTE = int(os.environ.get("OUTBOX_SMS_PER_MINUTE", "60"))
OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", "30"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# No inline script or style anywhere: every script and stylesheet is a file we serve.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging: everything to stdout, for the process manager to collect --------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every rendering step at INFO; only its warnings (a missing font or image) matter.
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Community rules (each app reads its own; defaults follow the community's rules) --
COMMUNITY_NAME = os.environ.get("COMMUNITY_NAME", "")
# The street office that runs the site, e.g. 幸福街道办事处: it issues the street's rounds, activities and papers.
STREET_NAME = os.environ.get("STREET_NAME", "") or "街道办事处"
# The site's address as residents reach it (https://honours.example.org), printed in QR codes on paper. Unset,
# paper takes the address of the request that asked for it (project.pdf.site_origin).
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# Each app's thresholds (limits, windows, sizes, page sizes): the names and defaults are in <app>/conf.py and the
# README's settings table. Any of them set in the environment becomes the setting of that name; the app reads it as
# its default's type, and `manage.py check` refuses a value it cannot read or a name no app knows.
for _name, _value in os.environ.items():
    if _name.startswith(("FAMILIES_", "AWARDS_", "ACTIVITIES_")):
        globals()[_name] = _value
