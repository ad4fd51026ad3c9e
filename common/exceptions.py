"""The one error that services raise for a rule a client broke."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request; becomes a 4xx JSON body or a form error.

    Args:
        message: shown to the person, so written for them.
        code: stable machine-readable key, e.g. ``"already_enrolled"``.
        status: HTTP status the API answers with.
        extra: any structured detail for clients.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        status: int = 400,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra or {}
