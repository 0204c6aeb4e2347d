"""Leave-one-plan-out check of the lexicon: does a theme run hold on a plan its lexicon never read?

For each plan with reference labels, :func:`leave_one_plan_out` drops the seed terms
that occur in that plan only, reruns :func:`~analysis.methods.themes.find_themes` on
the whole corpus and scores that plan's items; the same plan's items scored by the
run with the full lexicon give the in-sample figure beside it. Items without a clear
keyword hit (``evidence != "keyword"``) are also scored on their own.
:func:`discovery_against_nmf` sets discovery mode beside plain NMF on the same features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.theme_discovery import N_RUNS, nmf_labels, pairwise_ari
from analysis.methods.theme_eval import agreement, label_agreement
from analysis.methods.theme_lexicon import OTHER, load_lexicon, one_plan_terms, without_terms
from analysis.methods.validation import OTHER_ALIASES
from analysis.methods.themes import find_themes

METRICS = ("accuracy", "nmi", "ari")


def read_reference(frame: pd.DataFrame, column: str = "theme") -> pd.DataFrame:
    """``item_id, theme`` of a check set, with every 其他 spelling mapped to :data:`OTHER`."""
    theme = frame[column].astype(str).str.strip()
    return pd.DataFrame({"item_id": frame.item_id.astype(str), "theme": theme.where(~theme.isin(OTHER_ALIASES), OTHER)})


def _scores(run: pd.DataFrame, reference: pd.DataFrame, prefix: str) -> dict:
    merged = reference.merge(run, on="item_id")
    weak = merged[merged.evidence != "keyword"]
    every = label_agreement(merged.theme, merged.theme_label)
    return {
        **{f"{prefix}_{m}": every[m] for m in METRICS},
        f"{prefix}_weak_n": int(len(weak)),
        f"{prefix}_weak_accuracy": label_agreement(weak.theme, weak.theme_label)["accuracy"],
    }


def leave_one_plan_out(items: pd.DataFrame, documents: pd.DataFrame, reference: pd.DataFrame, *, lexicon=None,
                       **kwargs) -> tuple[pd.DataFrame, dict]:  # fmt: skip
    """Per plan in-sample and leave-one-plan-out agreement, and their summary.

    ``reference`` has ``item_id`` and ``theme`` (see :func:`read_reference`); ``kwargs``
    go to :func:`find_themes` (e.g. ``mode``). Returns ``(per_plan, summary)``: one row
    per plan with ``doc_id, n, dropped_terms`` and ``in_sample_*`` / ``held_out_*``
    accuracy, NMI, ARI, weak-item count and weak-item accuracy; the summary holds the
    mean over plans and the figures pooled over all plans' items for both.
    """
    lexicon = list(lexicon) if lexicon is not None else load_lexicon()
    kwargs = {"stability_seeds": 0, **kwargs}
    full = find_themes(items, documents, lexicon=lexicon, **kwargs)
    dropped = one_plan_terms(lexicon, full.units.tokens.tolist(), full.units.doc_id.tolist())
    columns = ["item_id", "theme_label", "evidence"]
    rows, pooled_in, pooled_out = [], [], []
    for plan in sorted(set(items.doc_id[items.item_id.isin(reference.item_id)])):
        plan_reference = reference[reference.item_id.isin(items.item_id[items.doc_id == plan])]
        held_out = find_themes(items, documents, lexicon=without_terms(lexicon, dropped[plan]), **kwargs).item_themes[columns]
        inside = full.item_themes[columns]
        rows.append({"doc_id": plan, "n": len(plan_reference), "dropped_terms": len(dropped[plan]),
                     **_scores(inside, plan_reference, "in_sample"), **_scores(held_out, plan_reference, "held_out")})  # fmt: skip
        pooled_in.append(inside[inside.item_id.isin(plan_reference.item_id)])
        pooled_out.append(held_out[held_out.item_id.isin(plan_reference.item_id)])
    per_plan = pd.DataFrame(rows)
    summary = {
        "plans": len(per_plan),
        "mean": {c: round(float(per_plan[c].mean()), 4) for c in per_plan.columns if c not in ("doc_id",)},
        "pooled": {**_scores(pd.concat(pooled_in), reference, "in_sample"), **_scores(pd.concat(pooled_out), reference, "held_out")},
    }
    return per_plan, summary


def discovery_against_nmf(items: pd.DataFrame, documents: pd.DataFrame, reference: pd.DataFrame, *, k: int | str = "auto",
                          seeds: tuple[int, ...] = (0, 1, 2)) -> pd.DataFrame:  # fmt: skip
    """Discovery mode against plain scikit-learn NMF on the same TF-IDF, over ``seeds``.

    Rows ``method, k, seeds, nmi, ari, accuracy`` (means against ``reference``) and
    ``seed_ari`` (mean ARI between the seeds' labelings). Plain NMF uses the k the
    discovery run with the first seed chose.
    """
    runs = [find_themes(items, documents, mode="discovery", k=k, seed=s * N_RUNS, stability_seeds=0) for s in seeds]
    content = runs[0].units.evidence != "none"
    k_used = len(runs[0].themes)
    plain = []
    for s in seeds:
        labels = nmf_labels(runs[0].matrix, k_used, s)
        plain.append(runs[0].item_themes.assign(theme_label=pd.Series(labels, index=content[content].index).astype(str)))
    rows = []
    for method, frames in (("consensus NMF (discovery)", [r.item_themes for r in runs]), ("plain NMF", plain)):
        scores = [agreement(f, reference) for f in frames]
        rows.append({"method": method, "k": k_used, "seeds": len(seeds),
                     **{m: round(float(np.mean([s[m] for s in scores])), 4) for m in METRICS},
                     "seed_ari": round(pairwise_ari([f.set_index("item_id").theme_label.to_numpy() for f in frames]), 4)})  # fmt: skip
    return pd.DataFrame(rows)
