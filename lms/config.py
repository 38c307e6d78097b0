"""Settings come from LMS_* environment variables and nothing else.

Every variable is listed in README.md; `Config.from_env()` is the only reader.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("LMS_INSTANCE_DIR", Path.cwd() / "instance"))


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _port(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"LMS_SMTP_PORT must be a port number from 1 to 65535 (got {value!r})")
    return int(value)


def _count(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"LMS_BACKUP_KEEP must be a whole number of at least 1 (got {value!r})")
    return int(value)


def _secret_key(instance_dir: Path) -> str:
    """An explicit key wins; otherwise one is generated once and kept in instance/."""
    key = os.environ.get("LMS_SECRET_KEY")
    if key:
        return key
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass
class Config:
    database_url: str
    secret_key: str
    redis_url: str | None = None
    plugins: list[str] | None = None  # None: every installed plugin
    default_locale: str = "kk"
    login_rate_limit: str = "10 per minute"
    public_url: str = "http://127.0.0.1:5000"
    #: uploaded files (evidence, reports); default: <instance>/files
    files_dir: str = ""
    secure_cookies: bool = False
    #: outgoing mail: sent over SMTP when smtp_host is set, else written as .eml files to outbox_dir
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "ustaz@localhost"
    #: default: <instance>/outbox
    outbox_dir: str = ""
    #: where `lms backup` with no target and the nightly task write, keeping the newest backup_keep
    backup_dir: str = ""
    backup_keep: int = 14
    testing: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Config":
        instance_dir = Path(os.environ.get("LMS_INSTANCE_DIR", INSTANCE_DIR))
        plugins = os.environ.get("LMS_PLUGINS")
        return cls(
            database_url=os.environ.get("LMS_DATABASE_URL")
            or f"sqlite:///{(instance_dir / 'lms.sqlite3').resolve()}",
            secret_key=_secret_key(instance_dir),
            redis_url=os.environ.get("LMS_REDIS_URL") or None,
            plugins=None if plugins is None else [p.strip() for p in plugins.split(",") if p.strip()],
            default_locale=os.environ.get("LMS_DEFAULT_LOCALE", "kk"),
            login_rate_limit=os.environ.get("LMS_LOGIN_RATE_LIMIT", "10 per minute"),
            public_url=os.environ.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000"),
            secure_cookies=_bool(os.environ.get("LMS_SECURE_COOKIES"), False),
            files_dir=os.environ.get("LMS_FILES_DIR") or str((instance_dir / "files").resolve()),
            smtp_host=os.environ.get("LMS_SMTP_HOST") or None,
            smtp_port=_port(os.environ.get("LMS_SMTP_PORT"), 587),
            smtp_user=os.environ.get("LMS_SMTP_USER") or None,
            smtp_password=os.environ.get("LMS_SMTP_PASSWORD") or None,
            smtp_sender=os.environ.get("LMS_SMTP_SENDER") or "ustaz@localhost",
            outbox_dir=str((instance_dir / "outbox").resolve()),
            backup_dir=os.environ.get("LMS_BACKUP_DIR") or str((instance_dir / "backups").resolve()),
            backup_keep=_count(os.environ.get("LMS_BACKUP_KEEP"), 14),
        )

    def flask_settings(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
            # a form stays good for a school day (Flask-WTF's default is an hour): a test page
            # posted after a long think must not come back "expired" with its answers dropped;
            # the token is still bound to the session, as Moodle's sesskey is
            "WTF_CSRF_TIME_LIMIT": 12 * 3600,
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": "Asia/Almaty",
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            "RATELIMIT_HEADERS_ENABLED": True,
            **self.extra,
        }
