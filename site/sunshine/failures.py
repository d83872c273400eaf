"""The refusals services raise: a rule refused (shown on a form), a user out of scope (403)."""

from __future__ import annotations


class FieldError(ValueError):
    """A business rule refused what was asked; ``message`` is for the person who asked.

    ``field`` names the form field the message belongs at, or None when it is about the whole
    request. Each feature raises its own subclass, so that the name says which feature refused;
    ``sunshine.forms.show_error`` puts any of them on a form.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(PermissionError):
    """The user may not act on this object; views turn it into a 403."""
