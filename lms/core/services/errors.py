"""Domain errors services raise; views turn them into form messages, the API into 4xx JSON."""


class ServiceError(Exception):
    """A request the domain refuses. `field` names the offending input where there is one."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class ReadOnly(ServiceError):
    code = "read_only"
