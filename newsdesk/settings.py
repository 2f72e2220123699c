"""Newsdesk settings: one module, driven by the environment, safe for a laptop by default."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEWSDESK_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).lower() in {"1", "true", "yes", "on"}


DEBUG = envbool("DEBUG", "true")
DEV_SECRET_KEY = "newsdesk-development-key-not-for-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    # A public default key would let anyone forge sessions on a real deployment.
    raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.")

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked-out login into the 429 page
]

ROOT_URLCONF = "newsdesk.urls"
WSGI_APPLICATION = "newsdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def database_config() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.postgresql":
            # No JIT: compiling a plan the planner thinks costly (a search or filter over
            # 100,000 articles) added 150-250 ms to requests that run in 40-100 ms
            # (bench/search.py: p95 351 ms with it, 190 ms without, same machine).
            options = config.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c jit=off".strip()
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "newsdesk.sqlite3",
        "OPTIONS": {
            # WAL lets the web process read while the worker writes; the busy
            # timeout makes a writer wait for the other instead of failing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "nlp"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins (the site's and the admin's) per username and address
# and refuses that pair for a while after too many; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "newsdesk.lockout.response"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "article_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ar")
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# HTTPS: off by default (a laptop serves plain HTTP); README's "Production" turns them on.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
# Behind a TLS-terminating proxy: "HTTP_X_FORWARDED_PROTO,https" (header, value).
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = tuple(os.environ["SECURE_PROXY_SSL_HEADER"].split(",", 1))
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes: failed logins and lockouts are warnings; the rest is noise.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

# Pre-tagging engines in order; a list means "the first available of these".
# See annotations/taggers/__init__.py for how their suggestions are merged.
NEWSDESK_ENGINES = [
    # The actor list first: it is precise, and its multi-word names must win over the CRF's
    # guesses and over a place inside them (قوات سوريا الديمقراطية).
    "annotations.taggers.actors.ActorEngine",
    ["annotations.taggers.camel_bert.CamelBertEngine", "annotations.taggers.crf.CRFEngine"],
    "annotations.taggers.gazetteer.GazetteerEngine",
]
# Map tiles for the linking panel, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" on a
# deployment with internet; empty means country outlines only (shipped, works offline).
NEWSDESK_MAP_TILES = os.environ.get("NEWSDESK_MAP_TILES", "")


def tile_hosts(template: str) -> list[str]:
    """The tile server of a tile URL template ({s} subdomains as a wildcard), for img-src."""
    parts = urlsplit(template.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.netloc else []


# Our pages run only our own files: no inline script, style or event handler, and htmx is
# configured not to eval (templates/base.html). Tiles, when configured, come from their host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, *tile_hosts(NEWSDESK_MAP_TILES)],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# A fine-tuned BERT NER model directory for camel-tools' NERecognizer; empty means
# camel-tools' own `ner-arabert` data under CAMELTOOLS_DATA, when installed.
NEWSDESK_CAMEL_NER_MODEL = os.environ.get("NEWSDESK_CAMEL_NER_MODEL", "")
# Countries whose GeoNames places load by default: the Middle East and North Africa.
NEWSDESK_GAZETTEER_COUNTRIES = os.environ.get(
    "NEWSDESK_GAZETTEER_COUNTRIES",
    "SY,IQ,LB,JO,PS,IL,YE,SA,AE,QA,KW,BH,OM,IR,TR,EG,LY,TN,DZ,MA,SD,SS,MR",
).split(",")
NEWSDESK_GAZETTEER_MIN_POPULATION = int(os.environ.get("NEWSDESK_GAZETTEER_MIN_POPULATION", "500"))

# CoNLL files the CRF is retrained on together with approved annotations
# (colon-separated); by default ANERcorp's training part when it sits beside the repo.
_ANERCORP = BASE_DIR.parent / "shared" / "data" / "anercorp" / "train.conll"
NEWSDESK_BASE_CONLL = [
    p
    for p in os.environ.get(
        "NEWSDESK_BASE_CONLL", str(_ANERCORP) if _ANERCORP.exists() else ""
    ).split(":")
    if p
]
