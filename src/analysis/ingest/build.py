"""Ingest step: raw documents listed in the manifest -> processed tables.

``ingest(raw_dir, out_dir)`` reads every manifest document (any format of
:mod:`analysis.ingest.readers`), parses it with :func:`analysis.ingest.segment.parse_plan` and
writes ``documents.csv``, ``items.csv`` and ``sentences.csv`` to ``out_dir``
(columns documented in ``docs/ingest.md``). All documents are parsed before anything is
written, and the tables are written atomically, so a bad input or an
interrupted run leaves the previous processed files intact.

Bad inputs raise :class:`~analysis.errors.InputError` naming the file: an
unreadable document, one without plan items, a document with the same text as
an earlier one, and a raw file without a manifest row (with a proposed row, see
:mod:`analysis.ingest.metadata`). With ``keep_going`` such documents are skipped and
listed in :attr:`Corpus.skipped` instead; manifest errors always stop the run.

Exit codes of ``python -m analysis ingest``: 0 all documents ingested; 2 a bad
input stopped the run and nothing was written; 3 (only with ``--keep-going``)
the tables were written without the skipped inputs listed on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from analysis.errors import InputError
from analysis.ingest.manifest import MANIFEST_COLUMNS, load_manifest, manifest_path, unlisted_files
from analysis.ingest.metadata import UnlistedFileError, propose_row
from analysis.ingest.readers import read_text
from analysis.ingest.fingerprint import NearDuplicateIndex, fingerprint
from analysis.ingest.segment import WHITESPACE_RE, ParsedPlan, parse_plan, split_sentences
from analysis.store import write_tables

DOCUMENT_COLUMNS = MANIFEST_COLUMNS + [
    "detected_title", "n_chars", "n_item_chars", "n_sections", "n_items", "n_body_chars", "coverage",
    "dropped_unclassified", "sha256",
]  # fmt: skip
ITEM_COLUMNS = [
    "doc_id", "item_id", "position", "section", "section_kind", "subsection", "number", "headline", "text", "departments", "n_chars",
]  # fmt: skip
#: Lines of unclassified dropped text quoted in a warning.
QUOTED_LINES = 3
SENTENCE_COLUMNS = ["doc_id", "item_id", "sentence_id", "text"]
#: Exit code of ``ingest --keep-going`` when some inputs were skipped (tables written without them).
EXIT_SKIPPED = 3


@dataclass
class Corpus:
    """The three processed tables of one ingest run, and the inputs it skipped (``keep_going``)."""

    documents: pd.DataFrame
    items: pd.DataFrame
    sentences: pd.DataFrame
    skipped: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written to the processed folder."""
        return {"documents": self.documents, "items": self.items, "sentences": self.sentences}


def unclassified_warning(path: str, plan: ParsedPlan, n_chars: int) -> str:
    """The warning for ``n_chars`` characters dropped without a named reason, quoting the first lines ("" if none)."""
    if not n_chars:
        return ""
    quoted = " | ".join(line[:60] for line in plan.accounting.lines_of("unclassified")[:QUOTED_LINES])
    return f"{path}: {n_chars} characters dropped without a known reason (not items, headings or page furniture); first lines: {quoted}"


def parse_document(doc: dict, text: str, *, strict: bool = False) -> tuple[dict, list[dict], list[dict], str]:
    """Parse one document's ``text``; return its document row, item rows, sentence rows and unclassified-drop warning.

    With ``strict`` an unclassified drop raises :class:`InputError` instead.
    """
    plan = parse_plan(text)
    if not plan.items:
        raise InputError(doc["path"], "no plan item found (expected headings such as 一、… and items such as 1. …)")
    coverage, body, unclassified = plan.accounting.coverage()
    warning = unclassified_warning(doc["path"], plan, unclassified)
    if warning and strict:
        raise InputError(doc["path"], warning.split(": ", 1)[1] + " (--strict)")
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
                "section_kind": item.section_kind,
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
        n_body_chars=body,
        coverage=round(coverage, 4),
        dropped_unclassified=unclassified,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    return row, items, sentences, warning


def check_unlisted(raw_dir: str | Path, manifest: pd.DataFrame) -> list[InputError]:
    """One :class:`UnlistedFileError` (with a proposed row) per raw document that has no manifest row."""
    taken = set(manifest["doc_id"])
    errors: list[InputError] = []
    for path in unlisted_files(raw_dir, manifest):
        try:
            proposal = propose_row(path, raw_dir, taken)
        except InputError as exc:
            errors.append(InputError(path, f"not listed in {manifest_path(raw_dir)}, and {exc.reason}"))
            continue
        taken.add(proposal.row["doc_id"])
        errors.append(UnlistedFileError(path, raw_dir, proposal))
    return errors


def build_corpus(raw_dir: str | Path, *, keep_going: bool = False, progress: bool = True, strict: bool = False) -> Corpus:
    """Read and parse every manifest document of ``raw_dir`` into a :class:`Corpus`.

    Raises the first :class:`InputError` met, or with ``keep_going`` skips the
    faulty inputs and lists them in :attr:`Corpus.skipped` (still raising when
    no document at all could be read). A document with the same text as an
    earlier one, or a normalised text similar up to
    :data:`~analysis.ingest.fingerprint.NEAR_DUPLICATE_SIMILARITY` (the same plan
    in two formats), is such a faulty input. Text dropped without a named reason
    is listed in :attr:`Corpus.warnings`, or with ``strict`` is an error.
    """
    manifest = load_manifest(raw_dir)
    skipped = check_unlisted(raw_dir, manifest)
    if skipped and not keep_going:
        raise skipped[0]
    docs, items, sentences, warnings = [], [], [], []
    seen: dict[str, str] = {}
    near = NearDuplicateIndex()
    for doc in tqdm(manifest.to_dict("records"), desc="ingest", unit="doc", disable=not progress):
        name = f"{doc['file']} ({doc['doc_id']})"
        try:
            text = read_text(doc["path"])
            print_ = fingerprint(text.split("\n"))
            sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if sha256 in seen:
                raise InputError(doc["path"], f"same text as {seen[sha256]}; remove one of the two manifest rows")
            if twin := near.find(print_):
                raise InputError(
                    doc["path"],
                    f"near-duplicate of {twin[0]} (normalised text similarity {twin[1]:.3f} ≥ {near.threshold}): "
                    "the same plan saved twice? remove one of the two manifest rows",
                )
            row, doc_items, doc_sentences, warning = parse_document(doc, text, strict=strict)
        except InputError as exc:
            if not keep_going:
                raise
            skipped.append(exc)
            continue
        seen[sha256] = name
        near.add(name, print_)
        docs.append(row)
        items.extend(doc_items)
        sentences.extend(doc_sentences)
        warnings += [warning] if warning else []
    if not docs:
        raise InputError(manifest_path(raw_dir), f"none of the {len(manifest)} documents could be read; nothing written")
    return Corpus(
        documents=pd.DataFrame(docs, columns=DOCUMENT_COLUMNS),
        items=pd.DataFrame(items, columns=ITEM_COLUMNS),
        sentences=pd.DataFrame(sentences, columns=SENTENCE_COLUMNS),
        skipped=skipped,
        warnings=warnings,
    )


def ingest(
    raw_dir: str | Path, out_dir: str | Path, *, keep_going: bool = False, progress: bool = True, strict: bool = False
) -> Corpus:
    """Build the corpus from ``raw_dir`` and write its tables to ``out_dir`` atomically."""
    corpus = build_corpus(raw_dir, keep_going=keep_going, progress=progress, strict=strict)
    write_tables(corpus.tables(), out_dir)
    return corpus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis ingest``."""
    parser.add_argument("--raw", default="data/raw", help="folder with the raw documents and manifest.csv (default: data/raw)")
    parser.add_argument("--out", default="data/processed", help="folder for the processed tables (default: data/processed)")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=f"skip bad or unlisted documents, write the rest and list what was skipped (exit code {EXIT_SKIPPED} if any)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="text dropped without a known reason is an error (exit 2), not a warning"
    )


def run(args: argparse.Namespace) -> int:
    """Run the ingest step from parsed command-line arguments."""
    corpus = ingest(args.raw, args.out, keep_going=args.keep_going, strict=args.strict)
    for doc in corpus.documents.itertuples():
        print(f"{doc.doc_id:<16} {doc.n_items:>4} items  {doc.n_item_chars:>6} chars  coverage {doc.coverage:.1%}  {doc.detected_title}")
    for warning in corpus.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote documents.csv, items.csv, sentences.csv to {args.out}")
    if not corpus.skipped:
        return 0
    print(f"warning: skipped {len(corpus.skipped)} input(s), not in the tables:", file=sys.stderr)
    for exc in corpus.skipped:
        print(f"  skipped {exc}", file=sys.stderr)
    return EXIT_SKIPPED
