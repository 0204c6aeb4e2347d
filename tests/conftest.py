"""Shared fixtures: the real seed corpus, ingested once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest.build import build_corpus
from analysis.store import write_tables

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


@pytest.fixture(scope="session", autouse=True)
def token_cache(tmp_path_factory) -> Path:
    """A fresh token cache for the session (``ANALYSIS_TOKEN_CACHE``), never the user's own; notebooks inherit it."""
    folder = tmp_path_factory.mktemp("token-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANALYSIS_TOKEN_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def corpus():
    """The seed corpus parsed from data/raw (documents, items, sentences)."""
    return build_corpus(RAW, progress=False)


@pytest.fixture(scope="session")
def processed(tmp_path_factory, corpus) -> Path:
    """A processed folder with the ingest tables of the seed corpus."""
    out = tmp_path_factory.mktemp("processed")
    write_tables(corpus.tables(), out)
    return out


def item(corpus, doc_id: str, position: int) -> dict:
    """One item row of the seed corpus as a dict."""
    rows = corpus.items[(corpus.items.doc_id == doc_id) & (corpus.items.position == position)]
    assert len(rows) == 1, (doc_id, position)
    return rows.iloc[0].to_dict()


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """Write a small notebook: a cell tagged ``parameters`` holding ``parameters``, then code ``cells``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    first = new_code_cell(parameters, metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[first, *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def corpus_report(tmp_path_factory, processed):
    """The real ``corpus`` job of reports.yml run once on the seed corpus: ``(Result, output folder)``."""
    from analysis.report import runner

    config = REPO / "reports.yml"
    jobs = runner.select_jobs(runner.load_jobs(config, processed), ["corpus"], config)
    out = tmp_path_factory.mktemp("reports")
    [result] = runner.run_reports(jobs, root=REPO, processed=processed, out=out, workers=1, progress=False)
    return result, out


@pytest.fixture(scope="session")
def themed(tmp_path_factory, processed) -> Path:
    """A copy of ``processed`` plus the themes step's outputs (item_themes.csv, themes.csv, theme_diagnostics.json)."""
    import shutil

    from analysis.cli import main

    out = tmp_path_factory.mktemp("themed")
    for table in processed.glob("*.csv"):
        shutil.copy(table, out)
    assert main(["themes", "--processed", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory, themed) -> Path:
    """A processed folder as a full pipeline run leaves it: ``themed`` plus targets and one shifts comparison."""
    import shutil

    from analysis.cli import main

    out = tmp_path_factory.mktemp("pipeline")
    for table in themed.iterdir():
        shutil.copy(table, out)
    assert main(["targets", "--processed", str(out)]) == 0
    assert main(["profiles", "--processed", str(out)]) == 0
    assert main(["shifts", "--processed", str(out), "--base", "city=青岛市,year=2021", "--compare", "city=青岛市,year=2024"]) == 0
    return out
