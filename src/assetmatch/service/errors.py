"""One error shape for every failure the service answers, and the status each library error gets.

Every error answer is ``{"error": {"type", "message", "problems": [{"row", "field", "reason"}]}}``.
The library's own errors are the client's to fix and map to 4xx; the request's input is never
echoed back (it may be huge or not JSON-encodable).
"""

from __future__ import annotations

from typing import Any

from .._errors import (
    AssetmatchError,
    NotFoundError,
    OfferConflictError,
    Problem,
    ReportError,
    StoreConflictError,
    StoreError,
    ValidationError,
)


class ServiceError(AssetmatchError, RuntimeError):
    """The service cannot start or be configured as asked (keys, host, store)."""


def status_of(exc: AssetmatchError) -> int:
    """The HTTP status for a library error: 404, 409 (a conflicting write or offer), 503 or
    422."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StoreConflictError | OfferConflictError):
        return 409
    if isinstance(exc, StoreError | ReportError):  # the store or the report engine is unavailable
        return 503
    return 422


def error_body(kind: str, message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {
        "error": {
            "type": kind,
            "message": message,
            "problems": [
                {"row": _plain(p.row), "field": p.field, "reason": p.reason} for p in problems or []
            ],
        }
    }


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return str(v)


def library_error_body(exc: AssetmatchError) -> dict[str, Any]:
    """The error shape for a library error (its first line as the message, its problems)."""
    problems = exc.problems if isinstance(exc, ValidationError) else []
    text = str(exc)
    message = text.split("\n", 1)[0] if problems else text
    return error_body(type(exc).__name__, message, problems)
