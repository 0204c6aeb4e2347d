"""Themes of plan items: named, honest, reproducible (``python -m analysis themes``).

Pipeline (:func:`find_themes`): items (or sentences) -> :class:`~analysis.text.tokenize.Tokenizer`
tokens -> :class:`~analysis.text.features.TextFeatures` (TF-IDF) -> one of three modes:

* **guided** (default): the lexicon ``data/themes.yml`` decides the units whose seed
  terms point clearly to one theme; a logistic regression on the TF-IDF of those units
  places the weak ones (:class:`~analysis.methods.theme_assign.ThemeAssigner`). Units
  whose best probability is below the threshold go to 其他（未归类）. Groups of similar
  其他 units are offered as candidate new themes (``theme_candidates.csv``).
* **discovery**: lexicon-free consensus NMF (:class:`~analysis.methods.theme_discovery.ConsensusNMF`);
  names from class-based TF-IDF, a lexicon name only for a cluster that theme dominates.
* **trained**: a classifier learnt from the researcher's codes (``--labels FILE``),
  cross-validated with one plan held out at a time
  (:class:`~analysis.methods.theme_trained.CodedThemes`).

Outputs (columns in ``docs/themes.md``): ``item_themes.csv``, ``themes.csv``,
``theme_probabilities.csv`` (guided, trained), ``theme_candidates.csv`` (guided),
``theme_diagnostics.json`` and, with ``--unit sentence``, ``sentence_themes.csv``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score
from tqdm import tqdm

from analysis.errors import InputError
from analysis.methods.corpus import document_labels
from analysis.methods.theme_assign import CONFIDENCE_THRESHOLD, ThemeAssigner
from analysis.methods.theme_discovery import (
    DOMINANCE_SHARE, N_RUNS, ConsensusNMF, class_tfidf, dominant_lexicon, pairwise_ari, silhouette, term_label, top_terms,
)  # fmt: skip
from analysis.methods.theme_lexicon import OTHER, SEED_RATIO, Theme, lexicon_scores, load_lexicon, seed_labels
from analysis.methods.theme_trained import CodedThemes, cross_validate_by_plan, read_codes
from analysis.paths import processed_dir
from analysis.store import read_table, write_json_atomic, write_tables
from analysis.text.features import TextFeatures
from analysis.text.tokenize import Tokenizer

UNITS = ("item", "sentence")
MODES = ("guided", "discovery", "trained")

ITEM_THEME_COLUMNS = ["doc_id", "item_id", "theme_id", "theme_label", "confidence", "evidence"]
SENTENCE_THEME_COLUMNS = ["doc_id", "item_id", "sentence_id", "theme_id", "theme_label", "confidence", "evidence"]
THEME_COLUMNS = [
    "theme_id", "theme_label", "size", "top_terms", "representative_item_ids", "lexicon_theme",
    "n_items", "n_docs", "top_doc", "top_doc_share", "mean_confidence",
]  # fmt: skip
PROBABILITY_COLUMNS = ["doc_id", "item_id", "rank", "theme_label", "probability"]
CANDIDATE_COLUMNS = ["candidate_id", "size", "n_docs", "top_terms", "item_ids"]
#: ``evidence`` values: seed terms point clearly to one theme / placed by its words / no content word.
EVIDENCE = ("keyword", "words", "none")
#: Document-concentration rule of the quality bar: themes of at least this size …
CONCENTRATION_MIN_SIZE = 5
#: … should draw no more than this share of their units from one document.
CONCENTRATION_MAX_SHARE = 0.8
N_REPRESENTATIVE = 3
N_STABILITY_SEEDS = 3
RESAMPLE_FRACTION = 0.8
#: Probabilities kept per unit in ``theme_probabilities.csv``.
N_PROBABILITIES = 3
#: A candidate new theme is a group of at least this many 其他 units …
MIN_CANDIDATE_SIZE = 2
#: … joined while their average cosine distance stays below this.
CANDIDATE_MAX_DISTANCE = 0.85


@dataclass
class Assignment:
    """One mode's answer for the content units: theme index per unit (-1 = 其他) and its confidence."""

    labels: np.ndarray
    confidence: np.ndarray
    names: list[str]  # theme names, indexed by labels
    lexicon_names: list[str]  # per theme the lexicon theme it stands for, or ""
    probabilities: np.ndarray | None = None  # (n_units, len(names)), guided and trained
    model: object = None
    extra: dict = field(default_factory=dict)


@dataclass
class ThemeResult:
    """Everything one theme run produces (tables, features, model, diagnostics)."""

    units: pd.DataFrame  # doc_id, item_id, [sentence_id], text, tokens, n_chars, theme_id, theme_label, confidence, evidence
    item_themes: pd.DataFrame
    themes: pd.DataFrame
    term_weights: pd.DataFrame  # theme_id, theme_label, rank, term, weight
    probabilities: pd.DataFrame | None
    candidates: pd.DataFrame | None
    diagnostics: dict
    doc_labels: pd.Series = field(repr=False)  # doc_id -> 青岛市 2024
    matrix: object = field(repr=False)  # feature rows of the content units (``units.evidence != "none"``)
    model: object = field(repr=False)
    lexicon: list[Theme] = field(repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written to the processed folder."""
        tables = {"item_themes": self.item_themes[ITEM_THEME_COLUMNS], "themes": self.themes[THEME_COLUMNS]}
        if self.probabilities is not None:
            tables["theme_probabilities"] = self.probabilities[PROBABILITY_COLUMNS]
        if self.candidates is not None:
            tables["theme_candidates"] = self.candidates[CANDIDATE_COLUMNS]
        if "sentence_id" in self.units.columns:
            tables["sentence_themes"] = self.units[SENTENCE_THEME_COLUMNS]
        return tables


# --------------------------------------------------------------------------- the three modes


def _guided(X, scores, lexicon, seed: int, threshold: float, **_) -> Assignment:
    model = ThemeAssigner(threshold=threshold, random_state=seed).fit(X, scores)
    p = model.predict_proba(X, scores)
    best = p.argmax(axis=1)
    confidence = p[np.arange(len(p)), best]
    names = [lexicon[j].name for j in model.classes_]
    return Assignment(np.where(confidence >= threshold, best, -1), confidence, names, names, p, model)


def _discovery(X, scores, lexicon, k, seed: int, **_) -> Assignment:
    model = ConsensusNMF(k, random_state=seed).fit(X)
    labels = model.labels_
    same = labels[:, None] == labels[None, :]
    confidence = (model.coassociation_ * same).sum(axis=1) / same.sum(axis=1)  # how often runs agree with the cluster
    matched = dominant_lexicon(seed_labels(scores), labels, model.n_clusters_)
    lexicon_names = [lexicon[m].name if m >= 0 else "" for m in matched]
    return Assignment(labels, confidence, lexicon_names, lexicon_names, None, model, {"run_stability": round(model.run_stability_, 4)})


def _trained(X, scores, lexicon, codes: np.ndarray, seed: int, threshold: float, **_) -> Assignment:
    coded = codes != ""
    if len(set(codes[coded])) < 2:
        raise ValueError("trained mode needs codes of at least two themes")
    model = CodedThemes(random_state=seed).fit(X[coded], scores[coded], codes[coded])
    p = model.predict_proba(X, scores)
    best = p.argmax(axis=1)
    confidence = p[np.arange(len(p)), best]
    names = [str(c) for c in model.classes_]
    lexicon_names = [n if n in {t.name for t in lexicon} else "" for n in names]
    return Assignment(np.where(confidence >= threshold, best, -1), confidence, names, lexicon_names, p, model)


ASSIGN = {"guided": _guided, "discovery": _discovery, "trained": _trained}


# --------------------------------------------------------------------------- pipeline helpers


def _units(items: pd.DataFrame, sentences: pd.DataFrame | None, unit: str) -> pd.DataFrame:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
    if unit == "sentence":
        if sentences is None:
            raise ValueError("unit='sentence' needs the sentences table")
        frame = sentences[["doc_id", "item_id", "sentence_id", "text"]]
    else:
        frame = items[["doc_id", "item_id", "text"]]
    frame = frame.reset_index(drop=True).copy()
    frame["n_chars"] = frame.text.str.replace(r"\s", "", regex=True).str.len()
    return frame


def _name_clusters(tokens, labels: np.ndarray, assignment: Assignment) -> tuple[list[str], list[list[str]], np.ndarray, np.ndarray]:
    """Names (lexicon name or top terms), top terms, term vocabulary and weights of each theme."""
    n = len(assignment.names)
    terms, weights = class_tfidf(tokens, labels, n)
    cluster_terms = top_terms(terms, weights)
    names = [name or term_label(cluster_terms[c]) for c, name in enumerate(assignment.names)]
    for c, name in enumerate(list(names)):  # unnamed clusters whose top terms collide get a number
        if names.count(name) > 1 and not assignment.names[c]:
            names[c] = f"{name}（{names[: c + 1].count(name)}）"
    return names, cluster_terms, terms, weights


def _concentration(frame: pd.DataFrame) -> pd.DataFrame:
    """Per theme: units, items, documents, the top document and its share of the units."""
    rows = []
    for theme_id, group in frame.groupby("theme_id", sort=True):
        by_doc = group.doc_id.value_counts()
        top = sorted(by_doc[by_doc == by_doc.max()].index)[0]
        rows.append(
            {"theme_id": theme_id, "size": len(group), "n_items": group.item_id.nunique(), "n_docs": len(by_doc),
             "top_doc": top, "top_doc_share": round(by_doc[top] / len(group), 4),
             "mean_confidence": round(float(group.confidence.mean()), 4)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _item_themes(units: pd.DataFrame) -> pd.DataFrame:
    """One row per item: its theme (for sentences, the theme holding most of its characters)."""
    if "sentence_id" not in units.columns:
        return units[ITEM_THEME_COLUMNS].copy()
    weighted = units.assign(w=units.n_chars.clip(lower=1), wc=units.n_chars.clip(lower=1) * units.confidence,
                            keyed=units.evidence == "keyword")  # fmt: skip
    per_theme = weighted.groupby(["doc_id", "item_id", "theme_id", "theme_label"], sort=False, as_index=False).agg(
        w=("w", "sum"), wc=("wc", "sum"), keyed=("keyed", "any"), content=("evidence", lambda e: (e != "none").any())
    )
    per_theme["confidence"] = (per_theme.wc / per_theme.w).round(4)
    per_theme["evidence"] = np.where(per_theme.keyed, "keyword", np.where(per_theme.content, "words", "none"))
    per_theme["other"] = per_theme.theme_id == 0
    best = per_theme.sort_values(["item_id", "other", "w", "confidence", "theme_id"], ascending=[True, True, False, False, True])
    best = best.drop_duplicates("item_id")
    order = units.drop_duplicates("item_id")[["item_id"]]
    return order.merge(best, on="item_id")[ITEM_THEME_COLUMNS]


def _probabilities(units: pd.DataFrame, content: np.ndarray, assignment: Assignment, names: list[str]) -> pd.DataFrame | None:
    """The :data:`N_PROBABILITIES` most probable themes of each content unit (guided and trained)."""
    p = assignment.probabilities
    if p is None:
        return None
    top = np.argsort(-p, axis=1, kind="stable")[:, : min(N_PROBABILITIES, p.shape[1])]
    frame = units.loc[content].reset_index(drop=True)
    key = "sentence_id" if "sentence_id" in frame.columns else "item_id"
    rows = pd.DataFrame(
        {key: np.repeat(frame[key].to_numpy(), top.shape[1]), "rank": np.tile(np.arange(1, top.shape[1] + 1), len(frame)),
         "theme_label": np.asarray(names, dtype=object)[top.ravel()],
         "probability": np.round(np.take_along_axis(p, top, axis=1).ravel(), 4)}
    )  # fmt: skip
    ids = frame[["doc_id", "item_id"] + ([key] if key != "item_id" else [])].drop_duplicates(key)
    return ids.merge(rows, on=key)


def _candidates(tokens, other: np.ndarray, doc_ids: np.ndarray, item_ids: np.ndarray) -> pd.DataFrame:
    """Candidate new themes: groups of at least :data:`MIN_CANDIDATE_SIZE` 其他 units, with top terms.

    The 其他 units' own TF-IDF rows are joined by average-linkage clustering (cosine) up to
    :data:`CANDIDATE_MAX_DISTANCE`, so the number of groups follows from the texts (no seed).
    """
    rows = np.flatnonzero(other)
    if len(rows) < 2:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    X = TextFeatures(min_df=1, max_df=1.0).fit_transform([tokens[i] for i in rows]).toarray()
    groups = AgglomerativeClustering(None, metric="cosine", linkage="average", distance_threshold=CANDIDATE_MAX_DISTANCE)
    raw = groups.fit_predict(X) if np.all(X.any(axis=1)) else np.zeros(len(rows), int)
    kept = [g for g in np.unique(raw) if (raw == g).sum() >= MIN_CANDIDATE_SIZE]
    labels = np.full(len(tokens), -1)
    for c, g in enumerate(kept):
        labels[rows[raw == g]] = c
    terms, weights = class_tfidf(tokens, labels, len(kept), min_df=1)
    out = []
    for c, words in enumerate(top_terms(terms, weights)):
        members = np.flatnonzero(labels == c)
        out.append({"size": len(members), "n_docs": len(set(doc_ids[members])), "top_terms": ";".join(words),
                    "item_ids": ";".join(dict.fromkeys(item_ids[members]))})  # fmt: skip
    frame = pd.DataFrame(out, columns=CANDIDATE_COLUMNS[1:]).sort_values(["size", "top_terms"], ascending=[False, True], ignore_index=True)
    return frame.assign(candidate_id=np.arange(1, len(frame) + 1))[CANDIDATE_COLUMNS]


def find_themes(
    items: pd.DataFrame,
    documents: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    *,
    unit: str = "item",
    k: int | str = "auto",
    mode: str = "guided",
    seed: int = 0,
    lexicon: Sequence[Theme] | None = None,
    codes: pd.DataFrame | None = None,
    threshold: float = CONFIDENCE_THRESHOLD,
    tokenizer: Tokenizer | None = None,
    features: TextFeatures | None = None,
    stability_seeds: int = N_STABILITY_SEEDS,
    progress: bool = False,
) -> ThemeResult:
    """Assign the items (or sentences) of a corpus to named themes.

    ``items``/``sentences`` are the ingest tables; ``documents`` (optional) supplies the
    place names removed from the features and the document names. ``mode`` is
    ``"guided"``, ``"discovery"`` (``k`` an int or ``"auto"``) or ``"trained"`` (``codes``:
    ``item_id, code``). Units below ``threshold`` (guided, trained) and units without
    any content word get theme 0, :data:`~analysis.methods.theme_lexicon.OTHER`.
    Returns a :class:`ThemeResult`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode != "discovery" and k != "auto":
        raise ValueError(f"k applies to discovery mode; {mode} mode has one theme per {'lexicon theme' if mode == 'guided' else 'code'}")
    if mode == "trained" and (codes is None or unit != "item"):
        raise ValueError("trained mode needs the researcher's codes (--labels FILE) and unit='item'")
    lexicon = list(lexicon) if lexicon is not None else load_lexicon()
    if tokenizer is None:
        tokenizer = Tokenizer.for_documents(documents) if documents is not None else Tokenizer()
    units = _units(items, sentences, unit)
    units["tokens"] = tokenizer.tokenize_many(units.text.tolist(), progress=progress)
    content = units[units.tokens.str.len() > 0].index.to_numpy()
    features = features if features is not None else TextFeatures()
    if len(content) >= 3:
        X = clone(features).fit_transform(units.tokens[content].tolist())
        content = content[np.asarray(abs(X).sum(axis=1)).ravel() > 0]
    if len(content) < 3:
        raise ValueError(f"only {len(content)} {unit}s have content words; need at least 3")
    tokens = units.tokens[content].tolist()
    if isinstance(k, int | np.integer) and not 2 <= k < len(tokens):
        raise ValueError(f"k={k} must be between 2 and {len(tokens) - 1} for {len(tokens)} {unit}s")
    X = clone(features).set_params(random_state=seed).fit_transform(tokens)
    scores = lexicon_scores(tokens, lexicon)
    code_of = dict(zip(codes.item_id, codes.code)) if codes is not None else {}
    context = {"lexicon": lexicon, "k": k, "seed": seed, "threshold": threshold,
               "codes": units.item_id[content].map(code_of).fillna("").to_numpy(dtype=object),
               "plans": units.doc_id[content].to_numpy()}  # fmt: skip
    assignment = ASSIGN[mode](X, scores, **context)

    names, cluster_terms, terms, weights = _name_clusters(tokens, assignment.labels, assignment)
    sizes = np.bincount(assignment.labels[assignment.labels >= 0], minlength=len(names))
    order = [c for c in sorted(range(len(names)), key=lambda c: (-sizes[c], names[c])) if sizes[c] > 0]
    theme_of = {c: i + 1 for i, c in enumerate(order)}
    units["theme_id"] = 0
    units["theme_label"] = OTHER
    units["confidence"] = 0.0
    units["evidence"] = "none"
    units.loc[content, "theme_id"] = [theme_of.get(c, 0) for c in assignment.labels]
    units.loc[content, "theme_label"] = [names[c] if c >= 0 else OTHER for c in assignment.labels]
    units.loc[content, "confidence"] = np.round(assignment.confidence, 4)
    units.loc[content, "evidence"] = np.where(seed_labels(scores) >= 0, "keyword", "words")
    item_themes = _item_themes(units)

    assigned = units.loc[content][units.theme_id[content] > 0]
    concentration = _concentration(assigned).set_index("theme_id")
    item_counts = item_themes.theme_id.value_counts()
    term_index = {t: i for i, t in enumerate(terms)}
    rows, term_rows = [], []
    for c in order:
        tid = theme_of[c]
        members = assigned[assigned.theme_id == tid].sort_values(["confidence", "item_id"], ascending=[False, True])
        row = concentration.loc[tid].to_dict()
        row.update(theme_id=tid, theme_label=names[c], top_terms=";".join(cluster_terms[c]),
                   representative_item_ids=";".join(list(dict.fromkeys(members.item_id))[:N_REPRESENTATIVE]),
                   lexicon_theme=assignment.lexicon_names[c], n_items=int(item_counts.get(tid, 0)))  # fmt: skip
        rows.append(row)
        term_rows += [{"theme_id": tid, "theme_label": names[c], "rank": r, "term": t, "weight": float(weights[c, term_index[t]])}
                      for r, t in enumerate(cluster_terms[c], start=1)]  # fmt: skip
    themes = pd.DataFrame(rows, columns=THEME_COLUMNS).astype({"size": int, "n_items": int, "n_docs": int})

    other = (units.theme_id == 0).to_numpy()
    result = ThemeResult(
        units=units, item_themes=item_themes, themes=themes, term_weights=pd.DataFrame(term_rows),
        probabilities=_probabilities(units, content, assignment, names),
        candidates=_candidates(units.tokens.tolist(), other & (units.evidence != "none").to_numpy(), units.doc_id.to_numpy(),
                               units.item_id.to_numpy()) if mode == "guided" else None,
        diagnostics={}, doc_labels=_doc_labels(documents, units), matrix=X, model=assignment.model, lexicon=lexicon,
    )  # fmt: skip
    result.diagnostics = diagnose(result, assignment, X, scores, context, unit=unit, mode=mode, features=features,
                                  stability_seeds=stability_seeds, tokenizer=tokenizer, progress=progress)  # fmt: skip
    return result


def _doc_labels(documents: pd.DataFrame | None, units: pd.DataFrame) -> pd.Series:
    """``doc_id`` -> reader name (青岛市 2024); the id itself when no documents table is given."""
    if documents is not None:
        return document_labels(documents)
    ids = units.doc_id.drop_duplicates()
    return pd.Series(ids.to_numpy(), index=ids.to_numpy(), name="label")


# --------------------------------------------------------------------------- diagnostics


def _rerun(mode: str, X, scores, context: dict, seed: int) -> np.ndarray:
    """Labels of the mode refitted with another seed (discovery: a disjoint set of NMF starts)."""
    shifted = {**context, "seed": context["seed"] + seed * N_RUNS if mode == "discovery" else seed}
    return ASSIGN[mode](X, scores, **shifted).labels


def diagnose(result: ThemeResult, assignment: Assignment, X, scores, context: dict, *, unit, mode, features,
             stability_seeds, tokenizer, progress) -> dict:  # fmt: skip
    """Diagnostics of a run: evidence counts, seed and resample stability, document concentration, cross-validation."""
    labels, seed = assignment.labels, context["seed"]
    seeds = [seed + i for i in range(stability_seeds)]
    runs = [labels] + [_rerun(mode, X, scores, context, s - seed) for s in tqdm(seeds[1:], desc="stability", unit="seed", disable=not progress)]
    rng = np.random.default_rng(seed)
    resample = []
    for _ in range(stability_seeds):
        rows = np.sort(rng.choice(len(labels), int(round(RESAMPLE_FRACTION * len(labels))), replace=False))
        sub = {**context, "codes": context["codes"][rows], "plans": context["plans"][rows]}
        resample.append(adjusted_rand_score(labels[rows], ASSIGN[mode](X[rows], scores[rows], **sub).labels))
    themes, units = result.themes, result.units
    concentrated = [
        {"theme_id": r.theme_id, "theme_label": r.theme_label, "top_doc": r.top_doc, "top_doc_share": r.top_doc_share}
        for r in themes.itertuples() if r.size >= CONCENTRATION_MIN_SIZE and r.top_doc_share > CONCENTRATION_MAX_SHARE
    ]  # fmt: skip
    big = themes.loc[themes["size"] >= CONCENTRATION_MIN_SIZE, "top_doc_share"]
    assigned = labels >= 0
    fit = silhouette(X[assigned], labels[assigned], seed) if 1 < len(set(labels[assigned])) < assigned.sum() else float("nan")
    diag = {
        "parameters": {"unit": unit, "k": context["k"], "mode": mode, "seed": seed, "threshold": context["threshold"],
                       "features": {key: v for key, v in features.get_params().items() if key != "random_state"},
                       "seed_ratio": SEED_RATIO, "dominance_share": DOMINANCE_SHARE},
        "tokenizer": tokenizer.fingerprint,
        "n_units": int(len(units)),
        "n_items": int(result.item_themes.item_id.nunique()),
        "n_documents": int(units.doc_id.nunique()),
        "n_features": int(X.shape[1]),
        "k": int(len(themes)),
        "keyword_units": int((units.evidence == "keyword").sum()),
        "words_units": int((units.evidence == "words").sum()),
        "no_content_units": int((units.evidence == "none").sum()),
        "other_units": int((units.theme_id == 0).sum()),
        "other_items": int((result.item_themes.theme_id == 0).sum()),
        "seeds_not_tokens": [s for t in result.lexicon for s in t.seeds if tokenizer.tokenize(s) != [s]],
        "named_themes": int((themes.lexicon_theme != "").sum()),
        "silhouette": round(fit, 4),
        "stability": {"seeds": seeds, "mean_ari": round(pairwise_ari(runs), 4)},
        "resample_stability": {"fraction": RESAMPLE_FRACTION, "repeats": stability_seeds,
                               "mean_ari": round(float(np.mean(resample)), 4) if resample else float("nan")},
        "max_top_doc_share": round(float(big.max()), 4) if len(big) else 0.0,
        "concentrated_themes": concentrated,
        **assignment.extra,
    }  # fmt: skip
    if mode == "discovery":
        diag["k_selection"] = assignment.model.k_selection_ or []
    if mode == "trained":
        coded = context["codes"] != ""
        scores_cv, _ = cross_validate_by_plan(CodedThemes(), X[coded], scores[coded], context["codes"][coded], context["plans"][coded])
        diag["cross_validation"] = {"scheme": "leave one plan out", **scores_cv, "n_coded": int(coded.sum())}
    return diag


# --------------------------------------------------------------------------- command


def analyse(processed: str | Path | None = None, labels: str | Path | None = None, **kwargs) -> ThemeResult:
    """Run :func:`find_themes` on the tables of a processed folder (default ``data/processed``).

    ``labels`` is the researcher's coding file (CSV/XLSX, ``item_id, code``) for trained mode.
    """
    folder = processed_dir(processed)
    documents = read_table(folder, "documents")
    items = read_table(folder, "items")
    sentences = read_table(folder, "sentences") if kwargs.get("unit") == "sentence" else None
    if items.empty:
        raise InputError(folder / "items.csv", "has no items; nothing to assign")
    codes = read_codes(labels, items.item_id) if labels else None
    try:
        return find_themes(items, documents, sentences, codes=codes, **kwargs)
    except ValueError as exc:
        raise InputError(Path(labels) if labels and kwargs.get("mode") == "trained" else folder / "items.csv", str(exc)) from exc


def write_outputs(result: ThemeResult, out_dir: str | Path) -> list[Path]:
    """Write the theme tables and ``theme_diagnostics.json`` to ``out_dir`` (atomically)."""
    paths = write_tables(result.tables(), out_dir)
    paths.append(write_json_atomic(Path(out_dir) / "theme_diagnostics.json", result.diagnostics))
    return paths


def _k_value(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"k must be 'auto' or an integer ≥ 2, not {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis themes``."""
    parser.add_argument("--processed", default="data/processed", help="folder with the ingest tables (default: data/processed)")
    parser.add_argument("--out", default=None, help="folder for the theme tables (default: the --processed folder)")
    parser.add_argument("--mode", choices=MODES, default="guided",
                        help="guided by the theme lexicon, lexicon-free discovery, or trained on --labels (default: guided)")  # fmt: skip
    parser.add_argument("--k", type=_k_value, default="auto", help="discovery mode: number of themes or 'auto' (by stability)")
    parser.add_argument("--labels", default=None, help="trained mode: CSV/XLSX with columns item_id, code")
    parser.add_argument("--unit", choices=UNITS, default="item", help="unit of analysis (default: item)")
    parser.add_argument("--threshold", type=float, default=CONFIDENCE_THRESHOLD,
                        help=f"below this confidence a unit goes to {OTHER} (default: {CONFIDENCE_THRESHOLD})")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--lexicon", default=None, help="theme lexicon YAML (default: the shipped themes.yml)")


def run(args: argparse.Namespace) -> int:
    """Run the themes step from parsed command-line arguments."""
    if args.mode == "trained" and not args.labels:
        raise InputError(None, "--mode trained needs --labels FILE (CSV/XLSX with columns item_id, code)")
    if args.mode != "discovery" and args.k != "auto":
        raise InputError(None, f"--k {args.k} applies to --mode discovery; {args.mode} mode has one theme per lexicon theme or code")
    result = analyse(args.processed, args.labels if args.mode == "trained" else None, unit=args.unit, k=args.k, mode=args.mode,
                     seed=args.seed, threshold=args.threshold, lexicon=load_lexicon(args.lexicon), progress=True)  # fmt: skip
    out = args.out or args.processed
    write_outputs(result, out)
    for row in result.themes.itertuples():
        print(f"{row.theme_id:>3} {row.theme_label:<14} {row.size:>4} {args.unit}s  {row.n_docs} docs  {row.top_terms.replace(';', ' ')[:60]}")
    diag = result.diagnostics
    print(f"k={diag['k']}  {OTHER}: {diag['other_units']} {args.unit}s  stability(ARI, {len(diag['stability']['seeds'])} seeds)="
          f"{diag['stability']['mean_ari']:.3f}  resample={diag['resample_stability']['mean_ari']:.3f}")  # fmt: skip
    if "cross_validation" in diag:
        cv = diag["cross_validation"]
        print(f"leave-one-plan-out on {cv['n']} coded items: accuracy={cv['accuracy']:.3f} kappa={cv['kappa']:.3f} nmi={cv['nmi']:.3f}")
    print(f"wrote {', '.join(f'{name}.csv' for name in result.tables())} and theme_diagnostics.json to {out}")
    return 0
