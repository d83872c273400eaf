"""Configuration: defaults, then instance/config.py, then SUNSHINE_* environment variables.

The environment (``SUNSHINE_ENV``) is ``production`` unless said otherwise: a WSGI server started
without settings must not run with a guessable secret. The ``sunshine`` command line defaults to
``development`` because operators run it by hand to set up or inspect an instance.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: The repository root: templates/, static/, content/ and search_index/ live here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Pixels an uploaded photo may have: a 12-megapixel phone photo (4032 × 3024) fits; decoding
#: costs memory by the pixel, whatever the file's size.
PHOTO_MAX_PIXELS = 12_500_000

WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "password", "sunshine", "default"}


class ConfigError(RuntimeError):
    """Raised when the configuration would make the site unsafe to run."""


def default_config(instance_path: str) -> dict[str, Any]:
    """Return the defaults that every instance starts from."""
    instance = Path(instance_path)
    return {
        "SUNSHINE_ENV": "production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'sunshine.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SEARCH_INDEX_DIR": str(PROJECT_ROOT / "search_index"),
        # Each serving process applies the search outbox to SEARCH_INDEX_DIR in a thread, every
        # INTERVAL seconds; the outbox keeps a row until every node applied it, at most
        # RETENTION days (a node away longer rebuilds its index). The node's name in
        # `sunshine search status` defaults to the host and index folder.
        "SEARCH_APPLY_THREAD": True,
        "SEARCH_APPLY_INTERVAL": 0.5,
        "SEARCH_OUTBOX_RETENTION_DAYS": 7,
        "SEARCH_NODE_NAME": None,
        "CONTENT_DIR": str(PROJECT_ROOT / "content"),
        "UPLOAD_DIR": str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "MAX_FORM_PARTS": 200,
        "RATELIMIT_ENABLED": True,
        # Counted in the site's database (sunshine.ratelimit): limits hold across workers and
        # nodes. "memory://" counts per worker process.
        "RATELIMIT_STORAGE_URI": "database://",
        "RATELIMIT_STRATEGY": "fixed-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        # Login throttling (sunshine.accounts.throttle): failures counted in the database so
        # that every worker agrees, by account and address together; an account failing
        # ALERT times in the window alerts the administrator and slows every address to one
        # try each SLOW_SECONDS. Nothing locks an account.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "LOGIN_ALERT_FAILURES": 20,
        "LOGIN_SLOW_SECONDS": 60,
        "STATS_MIN_CELL": 10,
        # Key of the household member ID number hash; derived from SECRET_KEY when unset.
        "ID_HASH_KEY": None,
        # Register imports: worker processes (None: one a core but one) for files this large.
        "STATS_IMPORT_WORKERS": None,
        "STATS_IMPORT_PARALLEL_BYTES": 4 << 20,
        "DEMO_PASSWORD": None,
        "PAGE_SIZE": 20,
        # Public pages kept rendered in memory (sunshine.pagecache); off: every page rendered.
        "PAGE_CACHE": True,
        # Reverse proxies in front of the site whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": 0,
        "SITE_NAME": "阳光扶贫公开平台",
        "PROVINCE_CODE": "450000000000",
        "SUPERVISION_PHONES": ["12317"],
        # Funds and projects: days from issue (or approval) to public disclosure.
        "FUNDS_DISCLOSURE_DAYS": 15,
        "FUNDS_DISCLOSURE_WORKING_DAYS": False,
        "PROJECTS_DISCLOSURE_DAYS": 15,
        "PROJECTS_DISCLOSURE_WORKING_DAYS": False,
        "PROJECT_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
        "PROJECT_PHOTO_MAX_PIXELS": PHOTO_MAX_PIXELS,
        "DISCLOSURE_WARNING_DAYS": 5,
        # Complaints; see docs/decisions.md.
        "COMPLAINT_REPLY_DAYS": 15,
        "COMPLAINT_REPLY_WORKING_DAYS": False,
        "COMPLAINT_MIN_FILL_SECONDS": 5,
        "COMPLAINT_MAX_PHOTOS": 3,
        "COMPLAINT_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
        "COMPLAINT_PHOTO_MAX_PIXELS": PHOTO_MAX_PIXELS,
        "COMPLAINT_SUBMIT_LIMIT": "5 per 10 minutes; 20 per day",
        "COMPLAINT_TRACK_LIMIT": "10 per minute; 60 per hour",
        # Disclosure on request (依申请公开): the legal periods, in working days unless
        # REQUEST_WORKING_DAYS is off. Answer within REPLY_DAYS; one extension of up to
        # EXTENSION_DAYS; an amend request (补正) only within AMEND_WITHIN_DAYS of receipt, and
        # lapsing when the applicant has not answered it in AMEND_REPLY_DAYS; a third party's
        # consultation not counted, up to CONSULT_DAYS. OFTEN is the number of different
        # applicants that puts a record on the office's "often requested" list.
        "REQUEST_REPLY_DAYS": 20,
        "REQUEST_EXTENSION_DAYS": 20,
        "REQUEST_AMEND_WITHIN_DAYS": 7,
        "REQUEST_AMEND_REPLY_DAYS": 15,
        "REQUEST_CONSULT_DAYS": 15,
        "REQUEST_WORKING_DAYS": True,
        "REQUEST_OFTEN": 3,
        # Documents sent with an answer (PDF, or a scan as JPEG/PNG with at most MAX_PIXELS):
        # each at most MAX_BYTES, at most MAX_FILES a request.
        "REQUEST_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
        "REQUEST_ATTACHMENT_MAX_FILES": 5,
        "REQUEST_ATTACHMENT_MAX_PIXELS": PHOTO_MAX_PIXELS,
        "REQUEST_SUBMIT_LIMIT": "5 per 10 minutes; 20 per day",
        "REQUEST_TRACK_LIMIT": "10 per minute; 60 per hour",
        # Farm products: photos per listing, and a price flagged for review when it is more
        # than RATIO times the median of at least MIN listings on sale of its kind.
        "MARKET_MAX_PHOTOS": 6,
        "MARKET_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
        "MARKET_PHOTO_MAX_PIXELS": PHOTO_MAX_PIXELS,
        "MARKET_PRICE_FLAG_MIN": 3,
        "MARKET_PRICE_FLAG_RATIO": 3,
        # Needs: days a pledge is held before it lapses unconfirmed; how many active pledges
        # (delivery not started) one donor may hold and their value in yuan; a donor with
        # LAPSES_FLAG pledges lapsed within LAPSES_DAYS is flagged to staff and may hold only
        # FLAGGED_MAX_ACTIVE (see matching/limits.py).
        "PLEDGE_HOLD_DAYS": 7,
        "PLEDGE_MAX_ACTIVE": 5,
        "PLEDGE_MAX_ACTIVE_YUAN": 20_000,
        "PLEDGE_LAPSES_FLAG": 3,
        "PLEDGE_LAPSES_DAYS": 90,
        "PLEDGE_FLAGGED_MAX_ACTIVE": 1,
        # Fernet key(s) for data encrypted at rest, comma-separated, newest first; derived from
        # SECRET_KEY when unset. Likewise the peppers of tracking-code and delivery-code hashes.
        # README.md (Production) says how to set and rotate each.
        "DATA_ENCRYPTION_KEY": None,
        "TRACKING_CODE_PEPPER": None,
        "DELIVERY_CODE_PEPPER": None,
        # Notices: the minimum notice period of each kind in days, calendar days
        # unless NOTICE_PERIOD_WORKING_DAYS (Monday to Friday). One kind from the environment:
        # SUNSHINE_NOTICE_PERIOD_DAYS__exit=10.
        "NOTICE_PERIOD_DAYS": {"identification": 7, "exit": 7, "monitoring": 5, "project": 10,
                               "fund": 10},
        "NOTICE_PERIOD_WORKING_DAYS": False,
        # The site's address as visitors reach it: links in e-mail are built from it, never
        # from a request's Host header.
        "SITE_URL": "http://127.0.0.1:5000",
        # Mail, the Flask-Mail way; MAIL_FOLDER (development) writes .eml files there instead.
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "阳光扶贫公开平台 <noreply@localhost>",
        "MAIL_FOLDER": None,
        "MAIL_TIMEOUT_SECONDS": 30,
        # Retries: the first after MAIL_RETRY_SECONDS, doubling up to the maximum wait, at
        # most MAIL_MAX_ATTEMPTS tries. A message left "sending" by a stopped sender is
        # queued again after the lease.
        "MAIL_RETRY_SECONDS": 60,
        "MAIL_RETRY_MAX_SECONDS": 6 * 3600,
        "MAIL_MAX_ATTEMPTS": 8,
        "MAIL_SEND_LEASE_SECONDS": 600,
        # Messages one address receives in a China day at most; the rest wait for tomorrow.
        "MAIL_DAILY_CAP": 20,
        "MAIL_WATCH_SECONDS": 10,
        "NOTIFY_FOLLOW_LIMIT": "5 per 10 minutes; 30 per day",
        # Wrong secret links (mailed links, the applicant's download) an address may try.
        "LINK_GUESS_LIMIT": "30 per 10 minutes",
        # The staff's daily digest goes out from this hour (China time).
        "NOTIFY_STAFF_DIGEST_HOUR": 8,
        # Days after a complaint's answer when its reporter is asked whether it was resolved.
        "COMPLAINT_FOLLOWUP_DAYS": 14,
    }


def load_config(app: Any, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in the documented order and check it is safe."""
    app.config.from_mapping(default_config(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SUNSHINE")
    # from_prefixed_env strips the prefix, so SUNSHINE_ENV arrives as ENV.
    if "ENV" in app.config:
        app.config["SUNSHINE_ENV"] = app.config.pop("ENV")
    if overrides:
        app.config.from_mapping(overrides)
    _normalise(app)
    _check_province(app)
    _check_secret_key(app)
    _check_csrf(app)


def _normalise(app: Any) -> None:
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
    elif uri.startswith("postgresql"):
        # PostgreSQL compiles (JIT) any query it estimates as costly, ~10 ms each time: far
        # more than the query itself on this site's short, indexed statements.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("options", "-c jit=off")
    if app.config["SUNSHINE_ENV"] == "production":
        app.config.setdefault("PREFERRED_URL_SCHEME", "https")


def _check_province(app: Any) -> None:
    """A province code from the environment arrives as a number (JSON): keep it as 12 digits."""
    code = str(app.config["PROVINCE_CODE"]).strip()
    if len(code) == 2:
        code = code.ljust(12, "0")
    if not (len(code) == 12 and code.isascii() and code.isdigit() and code[2:] == "0" * 10
            and code[:2] != "00"):
        raise ConfigError(f"PROVINCE_CODE 应为省级区划代码（如 450000000000）：{code[:20]!r}")
    app.config["PROVINCE_CODE"] = code


def _check_secret_key(app: Any) -> None:
    key = app.config.get("SECRET_KEY")
    if app.config["SUNSHINE_ENV"] == "production":
        if not key or _is_weak(str(key)):
            raise ConfigError(
                "生产环境必须设置足够强的 SUNSHINE_SECRET_KEY（至少 32 个字符的随机串）。"
                " Production needs a strong SUNSHINE_SECRET_KEY (32+ random characters)."
            )
        return
    if not key:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _check_csrf(app: Any) -> None:
    """Only tests switch CSRF protection off; production refuses to run without it."""
    if app.config["SUNSHINE_ENV"] == "production" and not app.config.get("WTF_CSRF_ENABLED"):
        raise ConfigError("生产环境不能关闭 CSRF 保护（WTF_CSRF_ENABLED）。"
                          " Production cannot run with CSRF protection switched off.")


def _is_weak(key: str) -> bool:
    return len(key) < 32 or key.lower() in WEAK_SECRETS or len(set(key)) < 10


def _instance_secret(instance: Path) -> str:
    """A random key kept in instance/ so that development sessions survive a restart."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
