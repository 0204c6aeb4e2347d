"""Report jobs from ``reports.yml``: plain jobs and jobs templated over the documents table.

A plain job names one notebook and its parameters. A templated job carries
``for_each: document`` (one job per plan) or ``for_each: city`` (one per place);
its name and string parameters are ``str.format`` templates filled from the row::

    profile-{doc_id}:
      for_each: document
      notebook: notebooks/06_plan_profile.ipynb
      parameters: {doc_id: "{doc_id}"}

Fields of a document row: every column of ``documents.csv`` (``doc_id, city, year …``)
plus ``previous_doc_id, previous_year`` (the place's plan of the year before, "" when
none) and ``latest_year`` (the place's latest plan year). Fields of a city row:
``city, province, latest_year, previous_year, latest_doc_id, n_years``.
``where:`` keeps some rows: ``latest`` (the place's latest plan), ``has_previous``
(the place has an earlier plan), ``has_peers`` (another place has a plan that year);
``min_years: N`` keeps places with plans in at least N years.

Each job also gets its ``scope``: the doc_ids whose table rows it depends on
(:mod:`analysis.report.state`), set by ``depends_on:`` — ``place`` (the plans of
the row's place) and/or ``year`` (the plans of the row's year, its peer group).
Default: ``[place, year]`` for a document job, ``[place]`` for a city job; a plain
job depends on the whole corpus (``None``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.store import read_table, read_yaml

NAME_RE = re.compile(r"^\w[\w.-]*$")
MAX_NAME = 120
RESERVED = {"index", "state", "executed", "figures"}
JOB_KEYS = {"notebook", "parameters", "for_each", "where", "min_years", "depends_on"}
DEPENDS = {"place", "year"}
FOR_EACH = ("document", "city")
FILTERS = {"latest", "has_previous", "has_peers"}


@dataclass(frozen=True)
class Job:
    """One report: ``name`` (file stem of its outputs), ``notebook`` as written, its ``path``,
    ``parameters`` and ``scope`` (doc_ids it depends on; ``None``: every document)."""

    name: str
    notebook: str
    path: Path
    parameters: dict = field(default_factory=dict)
    scope: tuple[str, ...] | None = None


def safe_name(name: str) -> str:
    """``name`` with characters outside letters, digits, ``._-`` replaced by ``-``; long names cut with a hash suffix."""
    clean = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "report"
    if len(clean) > MAX_NAME:
        clean = f"{clean[: MAX_NAME - 9]}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
    return clean


def check_name(name: str, source: str | Path) -> str:
    """``name`` when usable as a report name (file stem, not reserved); else InputError."""
    if not NAME_RE.match(name) or len(name) > MAX_NAME:
        raise InputError(source, f"report name {name!r} must be letters, digits, '.', '_' or '-', at most {MAX_NAME} characters (it names the output files)")
    if name.lower() in RESERVED:
        raise InputError(source, f"report name {name!r} is reserved ({', '.join(sorted(RESERVED))} name the runner's own files)")
    return name


def notebook_path(notebook: str, base: Path, source: str | Path) -> Path:
    """``base / notebook`` resolved; a path outside ``base`` (the repository) raises InputError."""
    path = (base / notebook).resolve()
    if not path.is_relative_to(base.resolve()):
        raise InputError(source, f"notebook {notebook!r} is outside the repository {base.resolve()}")
    return path


def document_rows(documents: pd.DataFrame) -> list[dict]:
    """One template row per document (documents.csv order) with ``previous_doc_id, previous_year, latest_year``."""
    records = [{k: ("" if pd.isna(v) else v) for k, v in r.items()} for r in documents.to_dict("records")]
    places: dict[str, list[tuple[int, str]]] = {}
    cities_of_year: dict[int, set[str]] = {}
    for r in records:
        r["year"] = int(r["year"])
        places.setdefault(r["city"], []).append((r["year"], str(r["doc_id"])))
        cities_of_year.setdefault(r["year"], set()).add(r["city"])
    rows = []
    for r in records:
        plans = sorted(places[r["city"]])
        earlier = [p for p in plans if p[0] < r["year"]]
        rows.append({
            **r,
            "previous_doc_id": earlier[-1][1] if earlier else "",
            "previous_year": earlier[-1][0] if earlier else "",
            "latest_year": plans[-1][0],
            "_has_peers": len(cities_of_year[r["year"]]) > 1,
            "_n_years": len({y for y, _ in plans}),
        })  # fmt: skip
    return rows


def city_rows(documents: pd.DataFrame) -> list[dict]:
    """One template row per place (order of first appearance), from its latest plan."""
    latest: dict[str, dict] = {}
    for row in document_rows(documents):
        kept = latest.get(row["city"])
        if kept is None or row["year"] > kept["year"]:
            latest[row["city"]] = row
    return [
        {
            "city": city, "province": row.get("province", ""), "latest_year": row["year"],
            "previous_year": row["previous_year"], "latest_doc_id": row["doc_id"], "n_years": row["_n_years"],
            "_n_years": row["_n_years"],
        }  # fmt: skip
        for city, row in latest.items()
    ]


def _keep(row: Mapping, where: Iterable[str], min_years: int) -> bool:
    tests = {
        "latest": lambda r: r.get("year", r["latest_year"]) == r["latest_year"],
        "has_previous": lambda r: r["previous_year"] != "",
        "has_peers": lambda r: r.get("_has_peers", False),
    }
    return all(tests[w](row) for w in where) and row["_n_years"] >= min_years


def _fill(template: object, row: Mapping, where: str) -> object:
    if not isinstance(template, str):
        return template
    try:
        return template.format_map(row)
    except (KeyError, IndexError, ValueError) as exc:
        fields = ", ".join(k for k in row if not k.startswith("_"))
        raise InputError(where, f"template {template!r}: {exc!r} is not a field; fields: {fields}") from exc


def _scopes(documents: pd.DataFrame) -> tuple[dict, dict]:
    """``({city: doc_ids}, {year: doc_ids})`` of ``documents``."""
    by_city: dict[str, list[str]] = {}
    by_year: dict[int, list[str]] = {}
    for doc_id, city, year in zip(documents.doc_id.astype(str), documents.city, documents.year.astype(int)):
        by_city.setdefault(city, []).append(doc_id)
        by_year.setdefault(year, []).append(doc_id)
    return by_city, by_year


def _spec_error(config: Path, name: str, spec: object) -> str | None:
    if not isinstance(spec, dict) or not isinstance(spec.get("notebook"), str):
        return "needs 'notebook: path/to/notebook.ipynb'"
    unknown = set(spec) - JOB_KEYS
    if unknown:
        return f"has unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(JOB_KEYS))}"
    if not isinstance(spec.get("parameters") or {}, dict):
        return "'parameters' must be a mapping of name: value"
    if spec.get("for_each") not in (None, *FOR_EACH):
        return f"for_each must be one of {', '.join(FOR_EACH)}"
    where = spec.get("where") or []
    where = [where] if isinstance(where, str) else where
    if not isinstance(where, list) or set(where) - FILTERS or ("for_each" not in spec and (where or "min_years" in spec)):
        return f"'where' needs for_each and takes a list of {', '.join(sorted(FILTERS))}"
    if spec.get("for_each") == "city" and set(where) - {"has_previous"}:
        return "for_each: city takes only where: has_previous"
    depends = spec.get("depends_on", [])
    if "depends_on" in spec and ("for_each" not in spec or not isinstance(depends, list) or not depends or set(depends) - DEPENDS
                                 or (spec.get("for_each") == "city" and "year" in depends)):
        return "'depends_on' needs for_each and takes a list of place, year (a city job: place)"
    if not isinstance(spec.get("min_years", 1), int):
        return "'min_years' must be a whole number"
    return None


def load_jobs(config: str | Path, documents: pd.DataFrame | str | Path | None = None) -> list[Job]:
    """The jobs of ``reports.yml`` in file order, templated jobs expanded over ``documents``.

    ``documents``: the documents table, or a processed folder holding ``documents.csv``
    (needed only when the file has ``for_each`` jobs). Notebook paths are relative to the
    folder of ``config`` and must stay inside it. A malformed file, a bad name or two jobs
    of the same name raise InputError.
    """
    config = Path(config)
    base = config.parent.resolve()
    data = read_yaml(config, "report configuration")
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict) or not data["jobs"]:
        raise InputError(config, "expected a mapping 'jobs:' of report names to {notebook, parameters}")
    jobs: list[Job] = []
    for name, spec in data["jobs"].items():
        name = str(name)
        problem = _spec_error(config, name, spec)
        if problem:
            raise InputError(config, f"job {name!r} {problem}")
        parameters = {str(k): v for k, v in (spec.get("parameters") or {}).items()}
        path = notebook_path(spec["notebook"], base, config)
        kind = spec.get("for_each")
        if kind is None:
            jobs.append(Job(check_name(name, config), spec["notebook"], path, parameters))
            continue
        if documents is None:
            raise InputError(config, f"job {name!r} is templated (for_each: {kind}) but no documents table was given")
        table = documents if isinstance(documents, pd.DataFrame) else read_table(documents, "documents")
        where = spec.get("where") or []
        rows = document_rows(table) if kind == "document" else city_rows(table)
        by_city, by_year = _scopes(table)
        depends = spec.get("depends_on") or (["place", "year"] if kind == "document" else ["place"])
        for row in rows:
            if not _keep(row, [where] if isinstance(where, str) else where, spec.get("min_years", 1)):
                continue
            filled = {k: _fill(v, row, f"{config}, job {name!r}") for k, v in parameters.items()}
            job_name = check_name(safe_name(str(_fill(name, row, f"{config}, job {name!r}"))), config)
            scope = set(by_city[row["city"]] if "place" in depends else ()) | set(by_year[row["year"]] if "year" in depends else ())
            jobs.append(Job(job_name, spec["notebook"], path, filled, tuple(sorted(scope))))
    seen: dict[str, int] = {}
    for job in jobs:
        seen[job.name] = seen.get(job.name, 0) + 1
    twice = sorted(n for n, k in seen.items() if k > 1)
    if twice:
        raise InputError(config, f"job names must be unique; made more than once: {', '.join(twice[:5])}")
    return jobs


def select_jobs(jobs: list[Job], only: Iterable[str] | None, config: str | Path) -> list[Job]:
    """The jobs named in ``only`` (all when empty); an unknown name raises InputError listing the jobs."""
    wanted = list(only or [])
    known = [j.name for j in jobs]
    for name in wanted:
        if name not in known:
            listing = ", ".join(known[:30]) + (f" … ({len(known)} jobs)" if len(known) > 30 else "")
            raise InputError(config, f"no report job named {name!r}; jobs: {listing}")
    return [j for j in jobs if not wanted or j.name in wanted]
