"""The one error type users see, with the place it points at."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable


class TflcError(Exception):
    """A user-facing error: bad input, unsupported op, wrong shape.

    `where` names the place (a file, an op and its location, a tensor); the CLIs print
    `error: <where>: <what>` and exit 1.
    """

    def __init__(self, what: str, where: str | None = None):
        super().__init__(what)
        self.what = what
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what

    def at(self, where: str) -> TflcError:
        """The same error, located at `where` unless it already names a place."""
        if not self.where:
            self.where = where
        return self


def brief(values: Iterable[object], limit: int = 8) -> str:
    """A list for an error message: `[1, 2, 3]`, or its first entries and its length when long
    (a corrupt file can hold a million-entry shape)."""
    values = list(values)
    if len(values) <= limit:
        return str(values)
    head = ", ".join(str(v) for v in values[:limit])
    return f"[{head}, ...] ({len(values)} entries)"


def saving_errors(save: Callable) -> Callable:
    """For a compiled model's `save(directory)`: a directory that cannot be written (read-only,
    a file in the way, a full disk) is a one-line TflcError naming the path, not an OSError."""

    @functools.wraps(save)
    def checked_save(self, directory, *args, **kwargs):
        try:
            return save(self, directory, *args, **kwargs)
        except OSError as e:
            where = e.filename if e.filename is not None else directory
            what = e.strerror or str(e)
            raise TflcError(f"cannot save the compiled model: {what}", str(where)) from None

    return checked_save
