"""The project's own error type: every bad input ends in one of these."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with an input file that the user must fix.

    The message always names the file (and the manifest row when there is one)
    and says what is wrong, e.g. ``data/raw/manifest.csv, row 3: year 'abc' is not a year``.
    """

    def __init__(self, path: str | Path | None, reason: str, row: int | None = None):
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.row = row
        where = self.path or "<input>"
        if row is not None:
            where = f"{where}, row {row}"
        super().__init__(f"{where}: {reason}")
