"""The time, injectable: services that plan by dates (post-course support, reminders) ask
`clock.now()` / `clock.today()`, and tests walk a cohort through a year with `clock.frozen`."""
from __future__ import annotations

import calendar
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


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); the 31st becomes the month's last day where it
    has none."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
