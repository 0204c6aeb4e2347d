"""Measure the themes against a check set: in-sample vs leave-one-plan-out, discovery vs NMF, trained CV.

    .venv/bin/python scripts/eval_themes.py [--raw data/raw] [--checkset tests/data/theme_checkset.csv]
                                            [--lexicon themes.yml] [--skip discovery,trained]

Prints three tables (figures, not a test):

1. guided mode, per plan: agreement on the plan's check-set items with the full lexicon
   (in-sample: the lexicon was written from these plans) and with the seed terms found
   in that plan only removed (held out), plus accuracy on the weakly keyed items;
2. discovery mode (consensus NMF) against plain scikit-learn NMF on the same TF-IDF:
   agreement and ARI between seeds;
3. trained mode with the check set as the researcher's codes, one plan held out at a time.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from analysis.ingest.build import build_corpus
from analysis.methods.theme_holdout import discovery_against_nmf, leave_one_plan_out, read_reference
from analysis.methods.theme_lexicon import load_lexicon
from analysis.methods.themes import find_themes

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default=str(REPO / "data" / "raw"))
    parser.add_argument("--checkset", default=str(REPO / "tests" / "data" / "theme_checkset.csv"))
    parser.add_argument("--lexicon", default=None)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: discovery, trained")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    corpus = build_corpus(args.raw, progress=False)
    reference = read_reference(pd.read_csv(args.checkset, dtype=str))
    lexicon = load_lexicon(args.lexicon)
    pd.set_option("display.width", 200, "display.max_columns", 30)

    per_plan, summary = leave_one_plan_out(corpus.items, corpus.documents, reference, lexicon=lexicon)
    print(f"check set: {args.checkset} ({len(reference)} items)\n\n1. guided mode, in-sample vs leave-one-plan-out")
    print(per_plan.to_string(index=False))
    print("mean over plans:", summary["mean"])
    print("pooled:", summary["pooled"])
    if "discovery" not in skip:
        print("\n2. discovery mode against plain NMF")
        print(discovery_against_nmf(corpus.items, corpus.documents, reference).to_string(index=False))
    if "trained" not in skip:
        codes = reference.rename(columns={"theme": "code"})
        result = find_themes(corpus.items, corpus.documents, mode="trained", codes=codes, lexicon=lexicon, stability_seeds=0)
        print("\n3. trained mode on the check-set codes, leave one plan out:", result.diagnostics["cross_validation"])


if __name__ == "__main__":
    main()
