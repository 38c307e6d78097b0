"""One pagination helper for every list page: two statements per page, whatever the size."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from lms.db import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_within(page: int, total: int, per_page: int) -> int:
    """The page to show: a page past the last shows the last (a stale link after deletions, and
    ?page=99999999999999999999 no overflow in the query's OFFSET)."""
    return max(1, min(page, -(-total // per_page) or 1))


def paginate(stmt, page: int = 1, per_page: int = 25) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = page_within(page, total or 0, per_page)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, per_page, total or 0)
