"""Domain errors raised by services; the API and the UI turn them into messages."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: `message` is safe to show to the user."""

    status_code = 400
    title = "Bad request"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class NotAuthenticated(ServiceError):
    status_code = 401
    title = "Not authenticated"


class PermissionDenied(ServiceError):
    status_code = 403
    title = "Forbidden"


class NotFound(ServiceError):
    """Also raised for another user's private things, so their existence never leaks."""

    status_code = 404
    title = "Not found"


class Conflict(ServiceError):
    status_code = 409
    title = "Conflict"


class ReviewRequired(Conflict):
    """The project releases `production` only through an approved proposal
    (services/reviews.py); `how` says how to propose instead."""

    title = "Review required"

    def __init__(self, message: str, *, how: dict[str, Any]) -> None:
        super().__init__(message)
        self.how = how


class ValidationFailed(ServiceError):
    """Bad input; `errors` lists `{"loc": [...], "msg": "..."}` entries."""

    status_code = 422
    title = "Validation failed"


class PlanLimitReached(ServiceError):
    status_code = 402
    title = "Plan limit reached"


class RateLimited(ServiceError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
