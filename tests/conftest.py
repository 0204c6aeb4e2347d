"""Shared fixtures: the real seed corpus, ingested once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest import build_corpus
from analysis.store import write_tables

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"


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
