"""Content hashes of the processed tables and what each was built from.

``processed/state.json`` records, for every pipeline step that ran, the hashes of
its inputs, parameters and code, and for every table it wrote that table's hash
and the hashes of the tables (or the raw folder) it was built from::

    {"steps":  {"themes": {"inputs": {...}, "finished": "2026-12-03T16:20:00"}},
     "tables": {"item_themes.csv": {"sha256": "…", "step": "themes",
                                    "built_from": {"items.csv": "…", "documents.csv": "…"}}}}

A table is *stale* when one of its sources now hashes differently from what it
was built from (e.g. ``ingest`` ran again, or a raw file was edited — whatever
its timestamp). :func:`stale_sources` finds those; the command line refuses to
run a step on stale inputs and ``python -m analysis run`` re-runs them.
Hashes are of file contents only; file times are never consulted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime
from pathlib import Path

import analysis
from analysis.store import write_json_atomic

STATE_NAME = "state.json"
RAW = "raw"  #: the source name of the raw folder (documents + manifest) in ``built_from``
_STATE_VERSION = 1


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest(data: object) -> str:
    """SHA-256 of ``data`` as canonical JSON (sorted keys), hex."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def folder_digest(folder: str | Path) -> str:
    """One hash over the names and contents of the visible regular files directly in ``folder``."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return digest({p.name: file_digest(p) for p in files})


#: the package parts whose code decides what the analysis steps compute (the command line,
#: this module and the report subpackage do not: changing them re-runs no analysis step)
ANALYSIS_CODE = ("ingest", "text", "methods", "data", "store.py", "errors.py", "paths.py")


@lru_cache(maxsize=4)
def code_digest(parts: tuple[str, ...] = ANALYSIS_CODE) -> str:
    """One hash over the package version and the files of the given top-level ``parts`` of the package."""
    package = Path(analysis.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and p.relative_to(package).parts[0] in parts
                   and "__pycache__" not in p.parts)  # fmt: skip
    return digest({"version": analysis.__version__, **{str(p.relative_to(package)): file_digest(p) for p in files}})


@dataclass(frozen=True)
class Tracked:
    """A pipeline step's tables in the processed folder: what it reads and what it writes."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]


#: step -> the processed tables it reads (``raw`` = the raw folder) and writes.
TRACKED: dict[str, Tracked] = {
    "ingest": Tracked((RAW,), ("documents.csv", "items.csv", "sentences.csv")),
    "themes": Tracked(("documents.csv", "items.csv", "sentences.csv"), ("item_themes.csv", "themes.csv", "theme_diagnostics.json")),
    "targets": Tracked(("documents.csv", "items.csv", "item_themes.csv"), ("targets.csv", "indicator_suggestions.csv")),
    "profiles": Tracked(("documents.csv", "items.csv"), ("plan_continuity.csv",)),
    "trends": Tracked(("documents.csv", "items.csv", "item_themes.csv", "targets.csv"), ("trends.csv", "trend_tests.csv")),
}

#: table -> the step that writes it
WRITER = {table: step for step, spec in TRACKED.items() for table in spec.writes}


class State:
    """``processed/state.json``: per-step inputs and per-table provenance.

    A file of the wrong shape or unreadable JSON is set aside as ``state.json.broken``
    (:attr:`warning` says so) and treated as empty: nothing is then known to be fresh.
    """

    def __init__(self, processed: str | Path):
        self.path = Path(processed) / STATE_NAME
        self.warning = ""
        self.steps: dict[str, dict] = {}
        self.tables: dict[str, dict] = {}
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not _valid(data):
                raise ValueError("not the expected {steps, tables} mapping")
        except (ValueError, UnicodeDecodeError) as exc:
            aside = self.path.with_name(STATE_NAME + ".broken")
            os.replace(self.path, aside)
            self.warning = f"{self.path}: unreadable pipeline state ({exc}); moved to {aside.name}, every step runs again"
            return
        self.steps, self.tables = data["steps"], data["tables"]

    def save(self) -> None:
        """Write the state atomically."""
        write_json_atomic(self.path, {"version": _STATE_VERSION, "steps": self.steps, "tables": self.tables})

    @property
    def raw(self) -> str | None:
        """The raw folder the last ingest read (None before any)."""
        return self.steps.get("ingest", {}).get("raw")

    def record(self, step: str, inputs: Mapping[str, str], sources: Mapping[str, str], outputs: Iterable[str], **extra) -> None:
        """Note that ``step`` ran on ``inputs`` and wrote ``outputs`` (names in the folder) from ``sources``."""
        folder = self.path.parent
        self.steps[step] = {"inputs": dict(inputs), "finished": datetime.now().isoformat(timespec="seconds"), **extra}
        for name in outputs:
            if (folder / name).is_file():
                self.tables[name] = {"sha256": file_digest(folder / name), "step": step, "built_from": dict(sources)}


def _valid(data: object) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("steps"), dict) or not isinstance(data.get("tables"), dict):
        return False
    tables_ok = all(isinstance(v, dict) and isinstance(v.get("built_from", {}), dict) for v in data["tables"].values())
    return tables_ok and all(isinstance(v, dict) for v in data["steps"].values())


class Digests:
    """Current content hashes of processed tables and the raw folder, each computed once."""

    def __init__(self, processed: str | Path, raw: str | Path | None):
        self.processed = Path(processed)
        self.raw = Path(raw) if raw else None
        self._cache: dict[str, str | None] = {}

    def __call__(self, name: str) -> str | None:
        """The hash of table ``name`` (or of the raw folder for :data:`RAW`); None when missing."""
        if name not in self._cache:
            if name == RAW:
                self._cache[name] = folder_digest(self.raw) if self.raw is not None and self.raw.is_dir() else None
            else:
                path = self.processed / name
                self._cache[name] = file_digest(path) if path.is_file() else None
        return self._cache[name]

    def forget(self, names: Iterable[str]) -> None:
        """Drop cached hashes (the files were rewritten)."""
        for name in names:
            self._cache.pop(name, None)


def stale_sources(state: State, digests: Digests, tables: Iterable[str]) -> list[tuple[str, str]]:
    """``(table, source)`` pairs where ``table`` was built from a ``source`` that has changed since.

    Tables without recorded provenance (written by hand or by an older version)
    are trusted; the raw folder is only checked when ``digests`` knows where it is.
    """
    stale = []
    for table in tables:
        entry = state.tables.get(table)
        if not entry or digests(table) != entry.get("sha256"):
            continue  # unknown provenance, or rewritten outside the pipeline: nothing recorded to compare
        for source, recorded in entry.get("built_from", {}).items():
            if source == RAW and digests.raw is None:
                continue
            if digests(source) != recorded:
                stale.append((table, source))
    return stale


def stale_message(stale: list[tuple[str, str]]) -> str:
    """Names the stale tables, what they are older than, and the steps to re-run in order."""
    order = list(TRACKED)
    rerun = sorted({WRITER.get(table, "") for table, _ in stale} - {""}, key=order.index)
    sources: dict[str, list[str]] = {}
    for table, source in stale:
        sources.setdefault(table, []).append("the raw documents" if source == RAW else source)
    what = "; ".join(f"{table} is older than {', '.join(names)}" for table, names in sources.items())
    steps = " → ".join(f"`python -m analysis {s}`" for s in rerun)
    return f"{what}; re-run {steps}, or `python -m analysis run` to bring everything up to date"
