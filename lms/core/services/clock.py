"""The time, injectable: services that plan by dates (post-course support, reminders) ask
`clock.now()` / `clock.today()`, and tests walk a cohort through a year with `clock.frozen`."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

_frozen: ContextVar[datetime | None] = ContextVar("lms_clock_frozen", default=None)


def now() -> datetime:
    """Aware UTC now (or the frozen moment)."""
    return _frozen.get() or datetime.now(timezone.utc)


def today(tz: str = "Asia/Almaty") -> date:
    """The local date in `tz` (Kazakhstan's default) at `now()`."""
    return now().astimezone(ZoneInfo(tz)).date()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Time stands at `at` (aware) inside the block."""
    if at.tzinfo is None:
        raise ValueError("clock.frozen needs an aware datetime")
    token = _frozen.set(at.astimezone(timezone.utc))
    try:
        yield
    finally:
        _frozen.reset(token)
