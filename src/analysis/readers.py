"""Read a raw document into plain text, whatever its file type.

``read_text(path)`` picks a reader by file extension and returns the document's
text as a str with lines separated by ``\\n``. Unreadable input raises
:class:`~analysis.errors.InputError` naming the file and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from analysis.errors import InputError


def read_txt(path: Path) -> str:
    """Plain text in UTF-8 (with or without BOM)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"cannot be decoded as UTF-8 text (byte {exc.start})") from exc


READERS: dict[str, Callable[[Path], str]] = {".txt": read_txt}


def read_text(path: str | Path) -> str:
    """Return the text of ``path`` with normalised line ends; errors name the file."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(path, f"unsupported file type {path.suffix!r}; supported: {', '.join(sorted(READERS))}")
    if not path.is_file():
        raise InputError(path, "file not found")
    text = reader(path)
    return text.replace("\r\n", "\n").replace("\r", "\n")
