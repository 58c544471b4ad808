"""Errors of the Podman API, typed by what the caller can do about them.

Each carries podman's own message (the "message" field of its error body), so a page
can show the user exactly what podman refused and why."""
from __future__ import annotations


class PodmanError(Exception):
    """Any failure answered by (or on the way to) the Podman API."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, cause: str = ""):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.cause = cause

    def __str__(self) -> str:
        return self.message


class NotFound(PodmanError):
    status = 404


class Conflict(PodmanError):
    """The object is in a state that forbids the call (running, in use, name taken)."""
    status = 409


class BadRequest(PodmanError):
    status = 400


class ServerError(PodmanError):
    """Podman answered 500: it tried and failed (runtime error, bad image content...)."""
    status = 500


class EngineUnavailable(PodmanError):
    """No answer at all: the socket is missing, refused, or the service died mid-call."""


_BY_STATUS = {404: NotFound, 409: Conflict, 400: BadRequest}

# Podman 4.x answers 500 for many refusals; its error causes (libpod/define/errors.go)
# tell what kind they are.
_BY_CAUSE = (
    ("no such container", NotFound), ("no such pod", NotFound), ("image not known", NotFound),
    ("no such image", NotFound), ("no such volume", NotFound), ("unable to find network", NotFound),
    ("network not found", NotFound),
    ("state improper", Conflict), ("already in use", Conflict), ("dependency exists", Conflict),
    ("is in use", Conflict), ("already exists", Conflict), ("is running", Conflict),
    ("invalid argument", BadRequest), ("invalid filter", BadRequest),
)


def error_for(status: int, body: object) -> PodmanError:
    """The typed error for an HTTP error answer of the API; body is its parsed JSON or text."""
    message, cause = "", ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("cause") or "")
        cause = str(body.get("cause") or "")
    elif body:
        message = str(body).strip()
    message = message or f"podman answered HTTP {status}"
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else PodmanError)
    if kind is ServerError:
        text = f"{cause} {message}".lower()
        kind = next((k for needle, k in _BY_CAUSE if needle in text), ServerError)
    return kind(message, status=status, cause=cause)
