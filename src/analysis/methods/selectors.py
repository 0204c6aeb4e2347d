"""Groups of documents chosen by manifest fields: ``"city=青岛市,year=2021"``.

Selector syntax — comma-separated clauses that must all hold:

* ``field=value``        the field equals ``value``
* ``field=v1|v2``        the field equals any of the values
* ``field!=value``       the field differs from ``value`` (``field!=v1|v2``: from all of them)

``field`` is a manifest column (``doc_id``, ``city``, ``province``, ``admin_level``,
``year``, ``doc_type`` …) and values compare as written in ``documents.csv``.
"One plan against the other plans of the year" is two selectors, e.g.
``"year=2024,city!=西安市"`` (the rest, as base) and ``"year=2024,city=西安市"``.
Unknown fields or values and selectors matching no document raise
:class:`~analysis.errors.InputError` listing what exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.ingest.manifest import MANIFEST_COLUMNS

CLAUSE_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(!=|=)\s*(.+?)\s*$")
SLUG_UNSAFE_RE = re.compile(r"[^\w.+-]+")
MAX_SLUG = 80


@dataclass(frozen=True)
class Clause:
    """One ``field=values`` (or ``field!=values``) condition."""

    field: str
    values: tuple[str, ...]
    negate: bool = False

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negate else '='}{'|'.join(self.values)}"


@dataclass(frozen=True)
class Selector:
    """A parsed group selector; ``str(selector)`` is its canonical text."""

    clauses: tuple[Clause, ...]

    def __str__(self) -> str:
        return ",".join(str(c) for c in self.clauses)

    @property
    def label(self) -> str:
        """Short display name from the values, e.g. ``青岛市 2021`` or ``2024 除西安市外``."""
        return " ".join(f"除{'、'.join(c.values)}外" if c.negate else "/".join(c.values) for c in self.clauses)

    @property
    def slug(self) -> str:
        """File-name-safe form, e.g. ``city-青岛市_year-2021`` or ``year-2024_city-not-西安市``."""
        parts = [f"{c.field}-{'not-' if c.negate else ''}{'+'.join(c.values)}" for c in self.clauses]
        return SLUG_UNSAFE_RE.sub("-", "_".join(parts))[:MAX_SLUG]

    def mask(self, documents: pd.DataFrame) -> pd.Series:
        """Boolean mask of the ``documents`` rows this selector picks (fields must exist)."""
        keep = pd.Series(True, index=documents.index)
        for clause in self.clauses:
            hit = documents[clause.field].astype(str).isin(clause.values)
            keep &= ~hit if clause.negate else hit
        return keep


def parse_selector(text: str, source: str | Path | None = None) -> Selector:
    """Parse selector ``text`` (syntax in the module docstring); bad syntax raises InputError."""
    pieces = [p for p in str(text).split(",") if p.strip()]
    if not pieces:
        raise InputError(source, f"empty group selector {text!r}; write field=value[,field!=value], e.g. city=青岛市,year=2021")
    clauses = []
    for piece in pieces:
        match = CLAUSE_RE.match(piece)
        if not match:
            raise InputError(source, f"{piece.strip()!r} in group selector {text!r} is not field=value or field!=value")
        field, op, values = match.groups()
        vals = tuple(v.strip() for v in values.split("|") if v.strip())
        if not vals:
            raise InputError(source, f"{piece.strip()!r} in group selector {text!r} has no value")
        clauses.append(Clause(field, vals, op == "!="))
    return Selector(tuple(clauses))


def select_documents(documents: pd.DataFrame, selector: str | Selector, source: str | Path | None = None) -> list[str]:
    """``doc_id`` values (in ``documents`` order) picked by ``selector``.

    ``source`` names the documents file in error messages. Raises InputError for
    a field that is not a manifest column, a value no document has, or a
    selector that matches no document — each listing what exists.
    """
    sel = selector if isinstance(selector, Selector) else parse_selector(selector, source)
    fields = [c for c in MANIFEST_COLUMNS if c in documents.columns]
    for clause in sel.clauses:
        if clause.field not in fields:
            raise InputError(source, f"unknown field {clause.field!r} in group selector {str(sel)!r}; fields: {', '.join(fields)}")
        known = sorted(set(documents[clause.field].astype(str)))
        unknown = [v for v in clause.values if v not in known]
        if unknown:
            raise InputError(
                source, f"no document has {clause.field}={unknown[0]!r} (selector {str(sel)!r}); {clause.field} values: {', '.join(known)}"
            )
    picked = documents.loc[sel.mask(documents), "doc_id"].astype(str).tolist()
    if not picked:
        used = list(dict.fromkeys(c.field for c in sel.clauses))
        listing = "; ".join(
            f"{row['doc_id']} ({', '.join(f'{f}={row[f]}' for f in used)})" for row in documents.to_dict("records")
        )
        raise InputError(source, f"no document matches group selector {str(sel)!r}; documents: {listing}")
    return picked


def groups_by(documents: pd.DataFrame, fields: Sequence[str], source: str | Path | None = None) -> dict[str, list[str]]:
    """Every combination of ``fields`` present in ``documents``: ``{selector text: doc_ids}``.

    E.g. ``groups_by(documents, ["city", "year"])`` gives ``{"city=青岛市,year=2021": [...], ...}``
    (year within city); ``["year", "city"]`` gives city within year.
    """
    fields = list(fields)
    if not fields:
        raise InputError(source, "groups_by needs at least one field")
    bad = [f for f in fields if f not in documents.columns or f not in MANIFEST_COLUMNS]
    if bad:
        known = [c for c in MANIFEST_COLUMNS if c in documents.columns]
        raise InputError(source, f"unknown field {bad[0]!r}; fields: {', '.join(known)}")
    keys = documents[fields].astype(str)
    groups: dict[str, list[str]] = {}
    for key, frame in documents.groupby([keys[f] for f in fields], sort=True):
        values = key if isinstance(key, tuple) else (key,)
        label = ",".join(f"{f}={v}" for f, v in zip(fields, values))
        groups[label] = frame["doc_id"].astype(str).tolist()
    return groups
