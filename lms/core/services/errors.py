"""Domain errors services raise; views turn them into form messages, the API into 4xx JSON."""
from collections.abc import Iterable

from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString


def joined(parts: Iterable, separator: str = "; ") -> LazyString:
    """Several refusals as one message, each read (translated) only when the whole is shown;
    usable on its own or as a value of a `lazy_gettext` message."""
    parts = list(parts)
    return LazyString(lambda: separator.join(str(p) for p in parts))


def about(name, problem) -> LazyString:
    """"<what>: <problem>" (a field, a line, a rule), both read in the reader's language when
    shown: a refusal that lists several problems names each one's place this way."""
    return lazy_gettext("%(what)s: %(problem)s", what=name, problem=problem)


class ServiceError(Exception):
    """A request the domain refuses. `field` names the offending input where there is one.

    `message` may be a lazy translation (`lazy_gettext` with its values): it is read in the
    language of whoever is shown it (the page's, English in the JSON API and the CLI)."""

    code = "invalid"

    def __init__(self, message, field: str | None = None, problems: list[tuple] | None = None):
        super().__init__(message)
        self._message = message
        self.field = field
        #: (field, message) of each problem: a form puts each under its own field
        self.problems: list[tuple] = list(problems) if problems else [(field, message)]

    @classmethod
    def listing(cls, problems: list[tuple]) -> "ServiceError":
        """One refusal naming every (field, message) problem: the message joins them (the API and
        the CLI show it), the field is the first one's."""
        return cls(joined(m for _f, m in problems), field=problems[0][0], problems=problems)

    @property
    def message(self) -> str:
        return str(self._message)

    def __str__(self) -> str:
        return self.message


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class ReadOnly(ServiceError):
    code = "read_only"


class FileRefused(ServiceError):
    """An import refused whole. `errors` lists every problem as (line, reason), in line order."""

    def __init__(self, filename: str, errors: list[tuple[int, str]]):
        self.filename = filename
        self.errors = sorted(errors, key=lambda e: e[0])
        count = len(self.errors)
        super().__init__(f"{filename}: {count} error{'s' if count != 1 else ''}; nothing was imported",
                         field="file")

    def lines(self) -> list[str]:
        """One `FILE:LINE: reason` line per error, as compilers print them."""
        return [f"{self.filename}:{line}: {reason}" for line, reason in self.errors]
