"""Benchmark of the shifts statistics on a synthetic corpus; prints timings, asserts nothing.

    .venv/bin/python scripts/bench_shifts.py [--plans 400] [--n-boot 2000]

Items of ``--plans`` synthetic plans get random themes (the clustering is not
timed here); the script times the item bootstrap of two halves of the corpus,
keyness and item continuity between them (sparse nearest neighbours).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from analysis.continuity import match_items
from analysis.ingest import build_corpus
from analysis.keyness import keyness
from analysis.shifts import share_shifts
from analysis.synthetic import generate_corpus
from analysis.tokenize import Tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=400)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as raw:
        generate_corpus(args.plans, raw)
        corpus = build_corpus(raw, progress=False)
    items = corpus.items.assign(theme_id=np.random.default_rng(0).integers(0, 16, len(corpus.items)))
    items["theme_label"] = "主题" + items["theme_id"].astype(str)
    docs = corpus.documents["doc_id"].tolist()
    base, compare = docs[: len(docs) // 2], docs[len(docs) // 2 :]
    print(f"{len(docs)} plans, {len(items)} items, {args.n_boot} bootstrap replicates")

    start = time.perf_counter()
    share_shifts(items, base, compare, "chars", args.n_boot, 0)
    print(f"share_shifts (bootstrap)  {time.perf_counter() - start:7.2f} s")

    start = time.perf_counter()
    tokens = Tokenizer.for_documents(corpus.documents).tokenize_many(items["text"].tolist())
    print(f"tokenize                  {time.perf_counter() - start:7.2f} s")
    in_base = items["doc_id"].isin(base).to_numpy()
    base_tokens = [t for t, b in zip(tokens, in_base) if b]
    compare_tokens = [t for t, b in zip(tokens, in_base) if not b]

    start = time.perf_counter()
    keyness(base_tokens, compare_tokens)
    print(f"keyness                   {time.perf_counter() - start:7.2f} s")

    start = time.perf_counter()
    out = match_items(items[in_base], items[~in_base], base_tokens, compare_tokens)
    print(f"continuity ({in_base.sum()} x {(~in_base).sum()} items) {time.perf_counter() - start:7.2f} s")
    print(out["status"].value_counts().to_string())


if __name__ == "__main__":
    main()
