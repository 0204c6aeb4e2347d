"""Default project folders, found from the working directory (repo root or notebooks/)."""

from __future__ import annotations

from pathlib import Path


def project_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``pyproject.toml``.

    Falls back to ``start`` itself, so a notebook run from ``notebooks/`` and a
    command run from the repository root see the same ``data/`` folders.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "data").is_dir():
            return folder
    return here


def processed_dir(path: str | Path | None = None) -> Path:
    """``path`` if given, else ``<project root>/data/processed``."""
    return Path(path) if path else project_root() / "data" / "processed"


def raw_dir(path: str | Path | None = None) -> Path:
    """``path`` if given, else ``<project root>/data/raw``."""
    return Path(path) if path else project_root() / "data" / "raw"


def reports_dir(path: str | Path | None = None) -> Path:
    """``path`` if given, else ``<project root>/reports``."""
    return Path(path) if path else project_root() / "reports"
