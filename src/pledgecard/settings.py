"""Pledgecard settings: everything that differs between machines comes from environment variables.

Development defaults are safe to run on a laptop; `PLEDGECARD_ENV=production` turns on the production
rules (secret key required, HTTPS, two-factor sign-in for organisers) so that `pledgecard check --deploy`
is clean.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent
# Runtime files (SQLite database, mail folder, collected static files) live beside the checkout.
VAR_DIR = Path(os.environ.get("PLEDGECARD_VAR_DIR", Path.cwd() / "var")).resolve()
ASSETS_DIR = Path(os.environ.get("PLEDGECARD_ASSETS_DIR", Path.cwd() / "assets")).resolve()

PRODUCTION = os.environ.get("PLEDGECARD_ENV", "development") == "production"
# Off unless asked for (DEBUG=1): `make run` is what organisers try first, and Django's debug page shows
# settings and stack traces to whoever meets an error.
DEBUG = os.environ.get("DEBUG", "0") == "1"
# The benchmarks' bare view (/bench/bare/) answers only when this is on (bench/ turns it on); 404 otherwise.
PLEDGECARD_BENCH = os.environ.get("PLEDGECARD_BENCH", "0") == "1"

if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret-" + "x" * 40)

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
# Absolute address used in emails, letters and QR codes, where there is no request to ask.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "pledgecard.core",
    "pledgecard.events",
    "pledgecard.workshops",
    "pledgecard.delivery",
    "pledgecard.pledges",
    "pledgecard.networking",
    "pledgecard.resources",
    "pledgecard.stories",
    "pledgecard.insights",
    "pledgecard.demo",  # last: the demo may import every app; none imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "pledgecard.core.middleware.RefuseNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pledgecard.core.access.AccessCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pledgecard.core.middleware.RequireTwoFactorMiddleware",
    "pledgecard.core.errors.BusyDatabaseMiddleware",
    "pledgecard.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "pledgecard.urls"
WSGI_APPLICATION = "pledgecard.wsgi.application"

TEMPLATES = [
    {
        # Our own pages: Jinja2 with the NHS.UK frontend macros.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "pledgecard.jinja2.environment"},
    },
    {
        # Django admin and allauth ship Django templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pledgecard.sqlite3'}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer work at once; IMMEDIATE takes the write lock at the start of a
    # transaction, so two writers queue for `timeout` seconds instead of failing half-way through.
    # Connections are kept (conn_max_age above, each thread its own), as on PostgreSQL: opening SQLite's file
    # and running the PRAGMAs below cost about 1 ms of CPU, more than the bare view, on every request. A kept
    # connection holds no transaction between requests (autocommit), so it never holds the write lock nor
    # keeps WAL from being checkpointed.
    # How long a writer waits for the one write lock before it gives up (attendees then see "try again").
    busy_seconds = float(os.environ.get("PLEDGECARD_SQLITE_BUSY_SECONDS", "20"))
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": busy_seconds,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                        f"PRAGMA busy_timeout={int(busy_seconds * 1000)};",
    }
    # Tests use a file, not memory, so that worker subprocesses see the same database; one per test run, so
    # that two runs on one machine never share (or delete) each other's.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-pledgecard-{os.getpid()}.sqlite3")}
else:
    # No JIT: PostgreSQL compiles a query to machine code when its *estimated* cost is high, and the
    # retention sweep's correlated subqueries are estimated high even when they find nothing. Compiling took
    # 2.3 s of the sweep's 2.3 s over 10,000 postcards (EXPLAIN ANALYZE: "JIT ... Total 2304 ms"), at every
    # worker start and every minute; without it the sweep takes milliseconds. Every query here is small and
    # short, where JIT costs more than it saves (PostgreSQL's docs advise it is for long analytical queries).
    # libpq's `options` replaces PGOPTIONS rather than adding to it, so PGOPTIONS and any `options` in
    # DATABASE_URL come after, and win where they set the same thing (JIT included).
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options["options"] = " ".join(
        part for part in ("-c jit=off", os.environ.get("PGOPTIONS", ""), db_options.get("options", ""))
        if part
    )
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Organisers sign in with their email address; accounts are created by an administrator, not by sign-up.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "pledgecard.core.auth.InviteOnlyAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# Per account (key) the limit is tight; per address it is loose, because a whole hospital may sign in from one
# address behind its proxy, and one colleague's mistakes must not lock the others out.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pledgecard"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "organise:home"
LOGOUT_REDIRECT_URL = "/"
# Two-factor sign-in is required for organisers in production; development keeps it optional so the demo
# organiser can sign in with a password alone.
PLEDGECARD_REQUIRE_MFA = os.environ.get("PLEDGECARD_REQUIRE_MFA", "1" if PRODUCTION else "0") == "1"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `collectstatic` puts the files whitenoise serves (a container image keeps them outside its data volume).
STATIC_ROOT = Path(os.environ.get("PLEDGECARD_STATIC_ROOT", VAR_DIR / "static")).resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [d for d in [ASSETS_DIR / "static"] if d.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Every static file gets its content's hash in its name (nhsuk-frontend.min.3f2a….css), so browsers may keep
    # it for a year without asking again (whitenoise sends `immutable`), and a new release is a new name; and a
    # gzip and a brotli copy made once, at collectstatic. `pledgecard serve`, `make run` and the tests' setup run
    # collectstatic; with DEBUG=1 pages name the files as they are and whitenoise finds them where they are.
    "staticfiles": {"BACKEND": "pledgecard.core.staticfiles.StaticFilesStorage"},
}
# Only the hashed names are kept in STATIC_ROOT: fewer files for whitenoise to read when a process starts.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
# The NHS.UK frontend CSS refers to /assets/... from the site root (icons, favicon, manifest): fixed names, so
# they are kept a day rather than a year.
WHITENOISE_ROOT = ASSETS_DIR / "root" if (ASSETS_DIR / "root").exists() else None
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MAX_AGE = 0 if DEBUG else 24 * 3600

# Uploaded files (resources' PDFs, stories' pictures). Deliberately no MEDIA_URL route: every file is served by
# a view of ours that checks who may see it and sets a safe type (core/uploads.py), never by a public path.
MEDIA_ROOT = Path(os.environ.get("PLEDGECARD_MEDIA_ROOT", VAR_DIR / "media")).resolve()
MEDIA_URL = "/no-public-media/"
PLEDGECARD_RESOURCE_MAX_BYTES = int(os.environ.get("PLEDGECARD_RESOURCE_MAX_BYTES", 20_000_000))
PLEDGECARD_STORY_IMAGE_MAX_BYTES = int(os.environ.get("PLEDGECARD_STORY_IMAGE_MAX_BYTES", 5_000_000))

# Mail: EMAIL_URL=smtp://user:pass@host:port (smtp+tls:// or smtps:// for encryption). Without it, mail is
# written to files under var/mail so nothing leaves the machine.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# MAIL, RCPT and DATA in one write when the server offers PIPELINING (RFC 2920): one wait instead of three per
# email (delivery/channels.py). "0" turns it off for a relay that offers it but mishandles it.
PLEDGECARD_SMTP_PIPELINING = os.environ.get("PLEDGECARD_SMTP_PIPELINING", "1") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Pledgecard <pledgecard@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Delivery: how long a worker owns a claimed message, and how temporary failures back off.
DELIVERY_LEASE_SECONDS = int(os.environ.get("DELIVERY_LEASE_SECONDS", "120"))
# Messages claimed at once: their rows are read and their words prepared together (delivery/rendering.py).
DELIVERY_BATCH_SIZE = int(os.environ.get("DELIVERY_BATCH_SIZE", "500"))
# Sent messages recorded in one UPDATE. 1: a worker killed mid-batch duplicates only the message it was
# sending; N: up to N duplicates (same Message-ID) for fewer database round trips (delivery/sending.py).
DELIVERY_RECORD_EVERY = max(1, int(os.environ.get("DELIVERY_RECORD_EVERY", "1")))
DELIVERY_RETRY_BASE_SECONDS = float(os.environ.get("DELIVERY_RETRY_BASE_SECONDS", "60"))
DELIVERY_RETRY_MAX_SECONDS = float(os.environ.get("DELIVERY_RETRY_MAX_SECONDS", "3600"))
# Temporary failures are retried for this long after the message was first due, as GOV.UK Notify does.
DELIVERY_GIVE_UP_AFTER_HOURS = float(os.environ.get("DELIVERY_GIVE_UP_AFTER_HOURS", "72"))

# Background jobs (core/jobs.py): a worker that goes this long without finishing a step loses its job to
# another worker, which runs it on from the last step saved.
PLEDGECARD_JOB_LEASE_SECONDS = float(os.environ.get("PLEDGECARD_JOB_LEASE_SECONDS", "120"))

# GOV.UK Notify (email, text messages, letters), set up per alliance by its organisers. The address is
# configurable so that tests and benchmarks talk to a local stand-in, never to Notify.
NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT = float(os.environ.get("NOTIFY_TIMEOUT", "20"))
# Notify allows 3,000 requests a minute per key; we keep under it across all workers (delivery/notify.py).
NOTIFY_RATE_LIMIT_PER_MINUTE = int(os.environ.get("NOTIFY_RATE_LIMIT_PER_MINUTE", "2700"))
# After a 429 or a refused key, the rest of a batch for that key waits this long before asking again.
NOTIFY_BACKOFF_SECONDS = float(os.environ.get("NOTIFY_BACKOFF_SECONDS", "30"))
# How often to ask Notify about a message it has not finished with (callbacks can be lost).
NOTIFY_POLL_MINUTES = float(os.environ.get("NOTIFY_POLL_MINUTES", "10"))

# Secrets in the database (GOV.UK Notify API keys) are encrypted with this Fernet key (core/crypto.py);
# several, comma-separated, while rotating: the first encrypts. Required in production; development derives one.
PLEDGECARD_ENCRYPTION_KEY = os.environ.get("PLEDGECARD_ENCRYPTION_KEY", "")

# Postcards and their messages lose everything personal this many months after their cycle ends (the later of
# the event's reminder day and the postcard's own last reminder): pledges/retention.py.
PLEDGECARD_POSTCARD_RETENTION_MONTHS = int(os.environ.get("PLEDGECARD_POSTCARD_RETENTION_MONTHS", "12"))

# Public pages shared by every visitor (core/pagecache.py) are looked at again at most this often: an organiser's
# change reaches visitors within this many seconds. 0: every request checks (the tests do).
PLEDGECARD_PAGE_RECHECK_SECONDS = float(os.environ.get("PLEDGECARD_PAGE_RECHECK_SECONDS", "1"))

# Print files (badges, postcards, room lists) name people: deleted this many hours after they are made.
PLEDGECARD_PRINT_KEPT_HOURS = float(os.environ.get("PLEDGECARD_PRINT_KEPT_HOURS", "24"))

# NHS deployments may load the Frutiger font from the NHS asset host (e.g. https://assets.nhs.uk).
PLEDGECARD_FONT_HOST = os.environ.get("PLEDGECARD_FONT_HOST", "")

# Housekeeping the worker runs every PLEDGECARD_PERIODIC_SECONDS: each returns how many rows it changed.
PLEDGECARD_PERIODIC_JOBS = [
    "pledgecard.events.registrations.offers_expire",
    "pledgecard.events.registrations.special_data_purge",
    "pledgecard.delivery.notify.statuses_poll",
    "pledgecard.pledges.fallback.fallbacks_auto",
    "pledgecard.core.ratelimit.counters_prune",
    "pledgecard.core.jobs.jobs_forget",
    "pledgecard.events.print_jobs.print_files_forget",
    "pledgecard.pledges.retention.postcards_expire",
]
PLEDGECARD_PERIODIC_SECONDS = float(os.environ.get("PLEDGECARD_PERIODIC_SECONDS", "60"))

# Shared by every process (web workers and the delivery worker): allauth's sign-in rate limits and its record
# of used two-factor codes live here, and a cache in each process's memory would multiply the limits. The
# table is made by a migration (core 0004), so `migrate` is all a new installation needs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "pledgecard_cache"}}
# How many proxies in front of us add to X-Forwarded-For (a load balancer: 1). 0 trusts no header: rate limits
# then key on REMOTE_ADDR. Set it wrong and clients can pretend to be anyone.
PLEDGECARD_TRUSTED_PROXY_COUNT = int(os.environ.get("PLEDGECARD_TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = PLEDGECARD_TRUSTED_PROXY_COUNT

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A postcard is short; anything much larger is a mistake or an attack.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [SITE_URL]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # One line a second when idle is noise.
        "django_tasks_db": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
