"""Step ``profiles``: every plan's item continuity with the previous plan of its place, once for the corpus.

``python -m analysis profiles`` reads ``documents.csv`` and ``items.csv`` and
writes ``plan_continuity.csv``, so that a plan profile (report ``06_plan_profile``)
reads ready rows and never fits a TF-IDF model itself. For each plan that has a
*previous plan* (:func:`previous_plan`: the latest earlier plan of the same city)
its items are matched against that plan's by
:func:`~analysis.methods.continuity.match_items` (TF-IDF over the items of the
two plans only, so a pair's rows do not depend on the rest of the corpus).

Columns: ``doc_id`` (the later plan), ``base_doc_id`` (its previous plan), then
:data:`~analysis.methods.continuity.CONTINUITY_COLUMNS` (``status``
continued/reworded/new/dropped, ``similarity`` rounded to 4 places, item ids and
texts). Plans without a previous plan have no rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.methods.continuity import CONTINUITY_COLUMNS, match_items
from analysis.store import read_table, write_tables

COLUMNS = ["doc_id", "base_doc_id", *CONTINUITY_COLUMNS]


def previous_plan(documents: pd.DataFrame, doc_id: str) -> str | None:
    """``doc_id`` of the latest plan of the same city from an earlier year than ``doc_id``'s, or None."""
    row = documents[documents.doc_id == doc_id].iloc[0]
    earlier = documents[(documents.city == row.city) & (documents.year < row.year)]
    return None if earlier.empty else earlier.sort_values("year").doc_id.iloc[-1]


def plan_continuity(documents: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One block of :data:`COLUMNS` rows per plan with a previous plan, in ``documents`` order.

    Item texts are tokenized once (shared token cache) with a tokenizer that drops
    the places of ``documents``.
    """
    from analysis.text.tokenize import Tokenizer

    pairs = [(d, p) for d in documents.doc_id if (p := previous_plan(documents, d)) is not None]
    if not pairs:
        return pd.DataFrame(columns=COLUMNS)
    tokens = Tokenizer.for_documents(documents).tokenize_many(list(items.text))
    rows = items.reset_index(drop=True).groupby("doc_id", sort=False).indices
    empty = np.array([], dtype=int)
    blocks = []
    for doc_id, base_id in pairs:
        base, compare = rows.get(base_id, empty), rows.get(doc_id, empty)
        matches = match_items(items.iloc[base], items.iloc[compare], [tokens[i] for i in base], [tokens[i] for i in compare])
        blocks.append(matches.assign(doc_id=doc_id, base_doc_id=base_id))
    return pd.concat(blocks, ignore_index=True)[COLUMNS]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis profiles``."""
    parser.add_argument("--processed", default="data/processed", help="folder with documents.csv and items.csv; plan_continuity.csv is written there")


def run(args: argparse.Namespace) -> int:
    """Write ``plan_continuity.csv`` to ``--processed``."""
    documents, items = read_table(args.processed, "documents"), read_table(args.processed, "items")
    table = plan_continuity(documents, items)
    write_tables({"plan_continuity": table}, Path(args.processed))
    print(f"{table.doc_id.nunique()} plans matched with their previous plan, {len(table)} rows; wrote plan_continuity.csv to {args.processed}")
    return 0
