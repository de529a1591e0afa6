"""One exception hierarchy for every database failure, whichever transport raised it.

SQL functions raise SQLSTATEs that PostgREST maps to HTTP (`PTxyz` -> status xyz);
psycopg reports the same SQLSTATE, so both transports map on the code alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class StoreError(Exception):
    """A database call failed; `code` is the SQLSTATE when the database answered."""

    message: str
    code: str | None = None
    detail: str | None = None
    hint: str | None = None
    kind: ClassVar[str] = "database-error"

    def __str__(self) -> str:
        return self.message


@dataclass
class NotFound(StoreError):
    kind: ClassVar[str] = "not-found"


@dataclass
class Conflict(StoreError):
    kind: ClassVar[str] = "conflict"


@dataclass
class Forbidden(StoreError):
    kind: ClassVar[str] = "forbidden"


@dataclass
class InvalidInput(StoreError):
    kind: ClassVar[str] = "invalid-input"


@dataclass
class PaymentRequired(StoreError):
    """The organisation's plan does not allow this (e.g. monthly quota used up)."""

    kind: ClassVar[str] = "quota-exceeded"


@dataclass
class RateLimited(StoreError):
    kind: ClassVar[str] = "rate-limited"


@dataclass
class Unavailable(StoreError):
    """The database could not be reached or did not answer; retrying later may work."""

    kind: ClassVar[str] = "database-unavailable"
    retry_after_seconds: int = field(default=5)


@dataclass
class Misconfigured(Unavailable):
    """The database API refused this service's own credentials (a wrong, revoked or
    disabled key): nothing works until an operator fixes the configuration."""

    kind: ClassVar[str] = "database-misconfigured"


_BY_SQLSTATE: dict[str, type[StoreError]] = {
    "PT400": InvalidInput,
    "PT402": PaymentRequired,
    "PT403": Forbidden,
    "PT404": NotFound,
    "PT409": Conflict,
    "PT429": RateLimited,
    "PT503": Unavailable,
    "P0001": InvalidInput,
    "P0002": NotFound,
    "22023": InvalidInput,  # invalid_parameter_value
    "22P02": InvalidInput,  # invalid_text_representation (bad uuid, ...)
    "22007": InvalidInput,  # invalid_datetime_format
    "22008": InvalidInput,  # datetime_field_overflow
    "23502": InvalidInput,  # not_null_violation
    "23514": InvalidInput,  # check_violation
    "23505": Conflict,  # unique_violation
    "23503": Conflict,  # foreign_key_violation
    "42501": Forbidden,  # insufficient_privilege
    "57014": Unavailable,  # query_canceled (statement timeout)
    "53300": Unavailable,  # too_many_connections
    "57P01": Unavailable,  # admin_shutdown
    "57P03": Unavailable,  # cannot_connect_now
}

# Class 22: the input cannot be stored as given (bad format, NUL byte, out of range).
_DATA_EXCEPTION_CLASS = "22"
# SQLSTATE classes that mean "the server is not usable right now".
_UNAVAILABLE_CLASSES = ("08", "53", "57")


def error_from_sqlstate(
    code: str | None,
    message: str,
    detail: str | None = None,
    hint: str | None = None,
) -> StoreError:
    """Build the matching StoreError for a SQLSTATE (or PostgREST code)."""
    error_type = _BY_SQLSTATE.get(code or "")
    if error_type is None and code and code[:2] in _UNAVAILABLE_CLASSES:
        error_type = Unavailable
    if error_type is None and code and code[:2] == _DATA_EXCEPTION_CLASS:
        error_type = InvalidInput  # e.g. 22P05: a NUL character in text
    return (error_type or StoreError)(message=message, code=code, detail=detail, hint=hint)
