"""What a report depends on, hashed; and ``reports/state.json``, the record of the last runs.

A job runs again only when one of its input hashes changed (:func:`job_inputs`):
notebook bytes, parameters, package code, render options and its *data* — the rows
of every ``processed/*.csv`` belonging to the documents of its scope, plus every
table without a ``doc_id`` column (:class:`DataDigests`). Per-document hashes are
kept in ``state.json`` with the hash of the table files, so a no-change run reads
the tables' bytes once and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import analysis
from analysis.errors import InputError
from analysis.provenance import code_digest, digest, file_digest
from analysis.store import write_json_atomic

STATE_NAME = "state.json"
STATUSES = {"ok", "failed"}


def package_digest() -> str:
    """One hash over the package version and every file of the installed ``analysis`` package."""
    package = Path(analysis.__file__).parent
    return code_digest(tuple(sorted(p.name for p in package.iterdir() if p.name != "__pycache__")))


class DataDigests:
    """Hashes of the processed tables: ``whole`` (all ``*.csv`` files), ``shared`` (tables without
    ``doc_id``) and ``documents`` (``{doc_id: hash of its rows in every table}``).

    ``cached`` (a previous :meth:`to_dict`) is reused when the files hash the same.
    """

    def __init__(self, processed: str | Path, cached: Mapping | None = None):
        tables = sorted(Path(processed).glob("*.csv"))
        self._scopes: dict[tuple[str, ...], str] = {}  # jobs of one year share a scope: hash it once
        self.whole = digest({p.name: file_digest(p) for p in tables})
        if cached and cached.get("whole") == self.whole and isinstance(cached.get("documents"), dict):
            self.shared, self.documents = cached.get("shared", ""), dict(cached["documents"])
            return
        import pandas as pd

        shared, per_doc = {}, {}
        for path in tables:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            if "doc_id" not in frame.columns:
                shared[path.name] = file_digest(path)
                continue
            rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
            for doc_id, positions in frame.groupby("doc_id", sort=False).indices.items():
                per_doc.setdefault(doc_id, {})[path.name] = hashlib.sha256(rows[positions].tobytes()).hexdigest()
        self.shared = digest(shared)
        self.documents = {doc_id: digest(tables_) for doc_id, tables_ in per_doc.items()}

    def of(self, scope: Sequence[str] | None) -> str:
        """The data hash of a job depending on the documents ``scope`` (``None``: all tables)."""
        if scope is None:
            return self.whole
        scope = tuple(scope)
        if scope not in self._scopes:
            parts = [self.shared, *(f"{d}:{self.documents.get(d, 'missing')}" for d in scope)]
            self._scopes[scope] = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
        return self._scopes[scope]

    def to_dict(self) -> dict:
        return {"whole": self.whole, "shared": self.shared, "documents": self.documents}


def job_inputs(job, parameters: Mapping, data: DataDigests, package: str, options: Mapping, notebooks: dict) -> dict:
    """The hashes that decide whether ``job`` must run again: ``notebook, parameters, package, data, options``.

    ``notebooks`` caches notebook file hashes by path across jobs.
    """
    if job.path not in notebooks:
        notebooks[job.path] = file_digest(job.path) if job.path.is_file() else "missing"
    return {
        "notebook": notebooks[job.path],
        "parameters": digest(dict(parameters)),
        "package": package,
        "data": data.of(job.scope),
        "options": digest(dict(options)),
    }


def _valid_entry(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("status") in STATUSES
        and isinstance(entry.get("inputs", {}), dict)
        and isinstance(entry.get("parameters", {}), dict)
        and isinstance(entry.get("seconds", 0), (int, float))
        and all(isinstance(entry.get(k, ""), str) for k in ("title", "finding", "error", "finished", "note"))
    )


def load_state(out: str | Path) -> dict:
    """``{"jobs": {name: last result}, "data": cached digests}`` from ``out/state.json``.

    Absent: empty. Unreadable or of the wrong shape: the file is set aside as
    ``state.json.broken-TIME`` with a warning on stderr, and the state is empty
    (every job runs again).
    """
    path = Path(out) / STATE_NAME
    if not path.exists():
        return {"jobs": {}, "data": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(state, dict) and isinstance(state.get("jobs"), dict)
        ok = ok and all(isinstance(k, str) and _valid_entry(v) for k, v in state["jobs"].items())
        ok = ok and isinstance(state.get("data", {}), dict)
    except (OSError, UnicodeDecodeError, ValueError):
        ok = False
    if ok:
        return {"jobs": state["jobs"], "data": state.get("data", {})}
    aside = path.with_name(f"{STATE_NAME}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise InputError(path, f"is broken and cannot be set aside ({exc.strerror})") from exc
    print(f"warning: {path} is not a valid report state; set aside as {aside.name}, every report runs again", file=sys.stderr)
    return {"jobs": {}, "data": {}}


def save_state(out: str | Path, jobs: Mapping[str, Mapping], data: DataDigests | Mapping) -> Path:
    """Write ``out/state.json`` atomically."""
    cached = data.to_dict() if isinstance(data, DataDigests) else dict(data)
    return write_json_atomic(Path(out) / STATE_NAME, {"jobs": dict(jobs), "data": cached})
