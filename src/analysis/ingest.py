"""Ingest step: raw documents listed in the manifest -> processed tables.

``ingest(raw_dir, out_dir)`` reads every manifest document, parses it with
:func:`analysis.segment.parse_plan` and writes ``documents.csv``, ``items.csv``
and ``sentences.csv`` to ``out_dir`` (columns documented in the README). All
documents are parsed before anything is written, so a bad input leaves the
previous processed files intact.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from analysis.errors import InputError
from analysis.manifest import MANIFEST_COLUMNS, load_manifest
from analysis.readers import read_text
from analysis.segment import WHITESPACE_RE, parse_plan, split_sentences
from analysis.store import write_tables

DOCUMENT_COLUMNS = MANIFEST_COLUMNS + ["detected_title", "n_chars", "n_item_chars", "n_sections", "n_items", "sha256"]
ITEM_COLUMNS = ["doc_id", "item_id", "position", "section", "subsection", "number", "headline", "text", "departments", "n_chars"]
SENTENCE_COLUMNS = ["doc_id", "item_id", "sentence_id", "text"]


@dataclass
class Corpus:
    """The three processed tables of one ingest run."""

    documents: pd.DataFrame
    items: pd.DataFrame
    sentences: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written to the processed folder."""
        return {"documents": self.documents, "items": self.items, "sentences": self.sentences}


def parse_document(doc: dict, text: str) -> tuple[dict, list[dict], list[dict]]:
    """Parse one document's ``text``; return its document row, item rows and sentence rows."""
    plan = parse_plan(text)
    if not plan.items:
        raise InputError(doc["path"], "no plan item found (expected headings such as 一、… and items such as 1. …)")
    doc_id = doc["doc_id"]
    items, sentences = [], []
    for position, item in enumerate(plan.items, start=1):
        item_id = f"{doc_id}-{position:04d}"
        items.append(
            {
                "doc_id": doc_id,
                "item_id": item_id,
                "position": position,
                "section": item.section,
                "subsection": item.subsection,
                "number": item.number,
                "headline": item.headline,
                "text": item.text,
                "departments": ";".join(item.departments),
                "n_chars": item.n_chars,
            }
        )
        for k, sentence in enumerate(split_sentences(item.text), start=1):
            sentences.append({"doc_id": doc_id, "item_id": item_id, "sentence_id": f"{item_id}-{k:02d}", "text": sentence})
    row = {c: doc[c] for c in MANIFEST_COLUMNS}
    row.update(
        detected_title=plan.title,
        n_chars=len(WHITESPACE_RE.sub("", text.replace("\n", ""))),
        n_item_chars=sum(i["n_chars"] for i in items),
        n_sections=len({i["section"] for i in items}),
        n_items=len(items),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    return row, items, sentences


def build_corpus(raw_dir: str | Path, *, progress: bool = True) -> Corpus:
    """Read and parse every manifest document of ``raw_dir`` into a :class:`Corpus`."""
    manifest = load_manifest(raw_dir)
    docs, items, sentences = [], [], []
    for doc in tqdm(manifest.to_dict("records"), desc="ingest", unit="doc", disable=not progress):
        row, doc_items, doc_sentences = parse_document(doc, read_text(doc["path"]))
        docs.append(row)
        items.extend(doc_items)
        sentences.extend(doc_sentences)
    return Corpus(
        documents=pd.DataFrame(docs, columns=DOCUMENT_COLUMNS),
        items=pd.DataFrame(items, columns=ITEM_COLUMNS),
        sentences=pd.DataFrame(sentences, columns=SENTENCE_COLUMNS),
    )


def ingest(raw_dir: str | Path, out_dir: str | Path, *, progress: bool = True) -> Corpus:
    """Build the corpus from ``raw_dir`` and write its tables to ``out_dir`` atomically."""
    corpus = build_corpus(raw_dir, progress=progress)
    write_tables(corpus.tables(), out_dir)
    return corpus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis ingest``."""
    parser.add_argument("--raw", default="data/raw", help="folder with the raw documents and manifest.csv (default: data/raw)")
    parser.add_argument("--out", default="data/processed", help="folder for the processed tables (default: data/processed)")


def run(args: argparse.Namespace) -> int:
    """Run the ingest step from parsed command-line arguments."""
    corpus = ingest(args.raw, args.out)
    for doc in corpus.documents.itertuples():
        print(f"{doc.doc_id:<16} {doc.n_items:>4} items  {doc.n_item_chars:>6} chars  {doc.detected_title}")
    print(f"wrote documents.csv, items.csv, sentences.csv to {args.out}")
    return 0
