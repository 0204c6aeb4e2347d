"""Measure themes and targets on the held-out plans beside the in-sample seed figures (prints figures; not a test).

    PYTHONPATH=src .venv/bin/python scripts/eval_heldout.py [--seed 0] [--keep DIR]

The five seed plans (``data/raw``) and the six invented held-out plans
(``tests/data/heldout``) are copied into one temporary raw folder with one merged
manifest; ``ingest``, ``themes`` (default guided mode) and ``targets`` run on it
through :func:`analysis.cli.main`, so ``data/`` is left alone. Then:

* themes — accuracy (Wilson 95% interval), Cohen's κ, NMI and ARI of the model's
  theme against the hand labels, on the held-out items
  (``tests/data/heldout/theme_labels.csv``) and, marked in-sample, on the seed
  items of ``tests/data/theme_checkset.csv``;
* targets — precision and recall against the held-out target labels
  (``tests/data/heldout/target_labels.csv``) and, marked in-sample, against the
  seed check lists ``tests/data/targets_checklist_*.csv``. A found target matches
  a labelled one in the same plan with the same numeric value whose indicators
  share at least :data:`MIN_OVERLAP` characters in a row (each used once, the
  same item preferred);
* the planted trend of 临江市 2022–2024: shares of the planted themes by year,
  by hand label and by model, with the 2022→2024 difference (Newcombe 95%).

Extra columns in ``item_themes.csv`` / ``targets.csv`` are ignored; when
``targets.csv`` has a ``status`` column only ``status == "target"`` rows count.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, adjusted_rand_score, cohen_kappa_score, normalized_mutual_info_score

from analysis import cli
from analysis.methods.intervals import newcombe, wilson
from analysis.methods.sampling import OTHER
from analysis.methods.validation import OTHER_ALIASES

REPO = Path(__file__).resolve().parents[1]
SEED_RAW = REPO / "data" / "raw"
HELDOUT = REPO / "tests" / "data" / "heldout"
CHECKSET = REPO / "tests" / "data" / "theme_checkset.csv"
CHECKLISTS = sorted((REPO / "tests" / "data").glob("targets_checklist_*.csv"))
EXCERPT_CHARS = 20
MIN_OVERLAP = 2
#: the 临江市 plans and the theme groups whose shares were planted to move
TREND_DOCS = ["linjiang-2022", "linjiang-2023", "linjiang-2024"]
TREND_GROUPS = {
    "疾病预防控制": ["疾病预防控制"],
    "疾病预防控制＋卫生应急与血液保障": ["疾病预防控制", "卫生应急与血液保障"],
    "人口与托育＋老年健康与医养结合": ["人口与托育", "老年健康与医养结合"],
    "卫生健康信息化": ["卫生健康信息化"],
    "医改与公立医院": ["医改与公立医院"],
}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV as strings (empty cells stay empty strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def merge_raw(folders: list[Path], dest: Path) -> Path:
    """Copy the documents of ``folders`` into ``dest`` with one merged ``manifest.csv``; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    manifests = []
    for folder in folders:
        manifest = read_csv(folder / "manifest.csv")
        for name in manifest.file:
            shutil.copy(folder / name, dest / name)
        manifests.append(manifest)
    pd.concat(manifests, ignore_index=True).to_csv(dest / "manifest.csv", index=False, encoding="utf-8")
    return dest


def run_pipeline(work: Path, seed: int) -> Path:
    """Ingest ``work/raw`` and run the themes and targets steps; returns the processed folder."""
    processed = work / "processed"
    for argv in (
        ["ingest", "--raw", str(work / "raw"), "--out", str(processed)],
        ["themes", "--processed", str(processed), "--seed", str(seed)],
        ["targets", "--processed", str(processed)],
    ):
        if cli.main(argv) != 0:
            raise SystemExit(f"step failed: {' '.join(argv)}")
    return processed


def item_ids(labels: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """The ``item_id`` of each label row, found by ``doc_id`` and the item text's first 20 characters."""
    keys = items.assign(item_excerpt=items.text.str[:EXCERPT_CHARS])[["doc_id", "item_excerpt", "item_id"]]
    found = labels[["doc_id", "item_excerpt"]].merge(keys, on=["doc_id", "item_excerpt"], how="left")
    missing = found[found.item_id.isna()]
    if len(missing):
        raise SystemExit(f"labels without an item: {missing.head(3).to_dict('records')}")
    return found.item_id.set_axis(labels.index)


def model_themes(item_themes: pd.DataFrame) -> pd.Series:
    """The model's theme name per ``item_id`` (``theme_label``, or ``theme``); 未归类/其他 read as 其他（未归类）."""
    column = next(c for c in ("theme_label", "theme") if c in item_themes.columns)
    names = item_themes.set_index("item_id")[column]
    return names.where(~names.map(lambda n: unicodedata.normalize("NFKC", n) in OTHER_ALIASES), OTHER)


def agreement(truth: pd.Series, predicted: pd.Series) -> dict:
    """Accuracy (Wilson 95% interval), Cohen's κ, NMI and ARI of two aligned label series; no model theme is a miss."""
    predicted = predicted.fillna("（无主题）")
    n, hits = len(truth), int((truth.values == predicted.values).sum())
    low, high = wilson(hits, n)
    return {
        "n": n,
        "accuracy": hits / n,
        "accuracy_ci": (float(low), float(high)),
        "kappa": cohen_kappa_score(truth, predicted),
        "nmi": normalized_mutual_info_score(truth, predicted),
        "ari": adjusted_rand_score(truth, predicted),
    }


def target_rows(targets: pd.DataFrame) -> pd.DataFrame:
    """Counted targets (``status == "target"`` if that column exists): ``doc_id, item_id, indicator, value, unit, comparator``."""
    if "status" in targets.columns:
        targets = targets[targets.status == "target"]
    return targets[["doc_id", "item_id", "indicator", "value", "unit", "comparator"]].reset_index(drop=True)


def in_plans(found: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``found`` from the plans that ``expected`` covers, renumbered from 0."""
    return found[found.doc_id.isin(expected.doc_id.unique())].reset_index(drop=True)


def overlap(a: str, b: str) -> int:
    """Length of the longest run of characters that ``a`` and ``b`` share."""
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def _number(value: str) -> float:
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return float("nan")


def match_targets(found: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Pair expected targets with found ones: same ``doc_id``, same value, indicators overlapping by ≥ 2 characters.

    Each found row is used once; among candidates the same item wins, then the
    longer overlap. Returns ``expected`` with ``found_index`` (−1 when missed).
    """
    found_values = found.value.map(_number).to_numpy()
    used: set[int] = set()
    pairs = []
    for row in expected.itertuples():
        candidates = found.index[(found.doc_id == row.doc_id).to_numpy() & np.isclose(found_values, _number(row.value))]
        scored = [
            ((found.item_id[i] == row.item_id), overlap(found.indicator[i], row.indicator), -i)
            for i in candidates
            if i not in used
        ]
        scored = [s for s in scored if s[1] >= MIN_OVERLAP]
        best = -max(scored)[2] if scored else -1
        used.add(best)
        pairs.append(best)
    return expected.assign(found_index=pairs)


def target_scores(found: pd.DataFrame, expected: pd.DataFrame) -> dict:
    """Precision and recall (Wilson 95%) of ``found`` against ``expected``, plus comparator/unit agreement on the matches."""
    paired = match_targets(found, expected)
    hits = paired[paired.found_index >= 0]
    tp, n_found, n_expected = len(hits), len(found), len(expected)
    matched = found.loc[hits.found_index]
    return {
        "tp": tp,
        "n_found": n_found,
        "n_expected": n_expected,
        "precision": tp / n_found if n_found else float("nan"),
        "precision_ci": tuple(float(v) for v in wilson(tp, n_found)),
        "recall": tp / n_expected if n_expected else float("nan"),
        "recall_ci": tuple(float(v) for v in wilson(tp, n_expected)),
        "comparator_agreement": float((matched.comparator.values == hits.comparator.values).mean()) if tp else float("nan"),
        "unit_agreement": float((matched.unit.values == hits.unit.values).mean()) if tp else float("nan"),
        "missed": paired.loc[paired.found_index < 0, ["doc_id", "item_id", "indicator", "value", "unit"]],
        "extra": found.drop(index=hits.found_index)[["doc_id", "item_id", "indicator", "value", "unit"]],
    }


def heldout_targets(items: pd.DataFrame) -> pd.DataFrame:
    """The held-out target labels with their ``item_id``."""
    labels = read_csv(HELDOUT / "target_labels.csv")
    return labels.assign(item_id=item_ids(labels, items))


def seed_targets() -> pd.DataFrame:
    """The seed check lists, one frame, with ``doc_id`` from the file names."""
    frames = [read_csv(p).assign(doc_id=p.stem.removeprefix("targets_checklist_")) for p in CHECKLISTS]
    return pd.concat(frames, ignore_index=True)


def trend_table(labels: pd.DataFrame, predicted: pd.Series) -> pd.DataFrame:
    """Shares of :data:`TREND_GROUPS` per 临江市 plan by hand label and by model, and the 2022→2024 difference."""
    rows = []
    sub = labels[labels.doc_id.isin(TREND_DOCS)].assign(model=lambda d: d.item_id.map(predicted))
    n = sub.groupby("doc_id").size()
    first, last = TREND_DOCS[0], TREND_DOCS[-1]
    for group, names in TREND_GROUPS.items():
        for source in ("theme", "model"):
            x = sub[sub[source].isin(names)].groupby("doc_id").size().reindex(TREND_DOCS, fill_value=0)
            low, high = newcombe(x[first], n[first], x[last], n[last])
            rows.append({
                "主题": group, "依据": "人工标注" if source == "theme" else "模型",
                **{f"{d[-4:]}年": f"{x[d]}/{n[d]} ({x[d] / n[d]:.0%})" for d in TREND_DOCS},
                "2024−2022": f"{x[last] / n[last] - x[first] / n[first]:+.0%} [{float(low):+.0%}, {float(high):+.0%}]",
            })  # fmt: skip
    return pd.DataFrame(rows)


def _ci(pair: tuple[float, float]) -> str:
    return f"[{pair[0]:.2f}, {pair[1]:.2f}]"


def print_themes(title: str, figures: dict) -> None:
    print(f"  {title:<34} n={figures['n']:>3}  accuracy={figures['accuracy']:.3f} {_ci(figures['accuracy_ci'])}"
          f"  κ={figures['kappa']:.3f}  NMI={figures['nmi']:.3f}  ARI={figures['ari']:.3f}")  # fmt: skip


def print_targets(title: str, figures: dict) -> None:
    print(f"  {title:<34} expected={figures['n_expected']:>3} found={figures['n_found']:>3} matched={figures['tp']:>3}"
          f"  precision={figures['precision']:.3f} {_ci(figures['precision_ci'])}"
          f"  recall={figures['recall']:.3f} {_ci(figures['recall_ci'])}"
          f"  comparator={figures['comparator_agreement']:.3f}  unit={figures['unit_agreement']:.3f}")  # fmt: skip


def evaluate(processed: Path) -> None:
    """Print the theme, target and trend figures for the tables in ``processed``."""
    items = read_csv(processed / "items.csv")
    predicted = model_themes(read_csv(processed / "item_themes.csv"))
    found = target_rows(read_csv(processed / "targets.csv"))
    labels = read_csv(HELDOUT / "theme_labels.csv")
    labels = labels.assign(item_id=item_ids(labels, items))
    checkset = read_csv(CHECKSET)

    print("Themes (model vs hand labels; basis: items)")
    print_themes("held-out (6 invented plans)", agreement(labels.theme, labels.item_id.map(predicted)))
    for doc_id, part in labels.groupby("doc_id", sort=False):
        print_themes(f"  held-out {doc_id}", agreement(part.theme, part.item_id.map(predicted)))
    print_themes("in-sample (5 seed plans, checkset)", agreement(checkset.theme, checkset.item_id.map(predicted)))

    print(f"\nTargets (same plan, same value, indicators sharing ≥{MIN_OVERLAP} characters)")
    held, seeds = heldout_targets(items), seed_targets()
    held_scores = target_scores(in_plans(found, held), held)
    print_targets("held-out (6 invented plans)", held_scores)
    print_targets("in-sample (5 seed check lists)", target_scores(in_plans(found, seeds), seeds))
    with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.max_rows", 80):
        print("\nHeld-out targets missed:\n" + held_scores["missed"].to_string(index=False))
        print("\nHeld-out targets found but not labelled:\n" + held_scores["extra"].to_string(index=False))
        print("\nPlanted trend, 临江市 2022–2024 (share of items; 95% Newcombe interval of the difference)")
        print(trend_table(labels, predicted).to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed of the themes step (default: 0)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
        work = args.keep or Path(tmp)
        merge_raw([SEED_RAW, HELDOUT], work / "raw")
        evaluate(run_pipeline(work, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
