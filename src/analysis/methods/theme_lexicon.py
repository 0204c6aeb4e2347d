"""The theme lexicon and codebook (``data/themes.yml``) and keyword evidence from it.

A lexicon is a list of :class:`Theme` (name, English gloss, seed terms and the
codebook notes ``definition``/``include``/``exclude``). :func:`lexicon_scores` counts
each theme's seed terms in token lists; :func:`seed_labels` keeps the units whose
hits point clearly to one theme. :func:`one_plan_terms` and :func:`without_terms`
build the reduced lexicons of the leave-one-plan-out check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.store import read_yaml
from analysis.text.tokenize import DATA_DIR

LEXICON_FILE = DATA_DIR / "themes.yml"
#: The explicit theme of units that fit no theme (no content word, or below the confidence threshold).
OTHER = "其他（未归类）"
#: Seed-term hits of a unit point "clearly" to a theme when they beat the runner-up by this factor.
SEED_RATIO = 1.5


@dataclass(frozen=True)
class Theme:
    """One lexicon theme: Chinese name, English gloss, seed terms and codebook notes."""

    name: str
    en: str
    seeds: tuple[str, ...]
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def _notes(value, path: Path, name: str, key: str) -> tuple[str, ...]:
    """A codebook field as a tuple of notes (a YAML list or one string)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise InputError(path, f"theme {name!r}: '{key}' must be a list of notes or a string")


def load_lexicon(path: str | Path | None = None) -> list[Theme]:
    """Read a theme lexicon (default: the shipped ``data/themes.yml``).

    Codebook fields ``definition``, ``include`` and ``exclude`` are optional. Raises
    :class:`InputError` if the file is missing or not YAML, a theme lacks a name or
    seeds, a codebook field has the wrong type, or two themes share a name.
    """
    path = Path(str(path or LEXICON_FILE))
    data = read_yaml(path, "theme lexicon")
    entries = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(path, "expected a top-level 'themes:' list of {name, seeds}")
    lexicon: list[Theme] = []
    for i, entry in enumerate(entries, start=1):
        name = str(entry.get("name", "")).strip() if isinstance(entry, dict) else ""
        seeds = entry.get("seeds") if isinstance(entry, dict) else None
        if not name or not isinstance(seeds, list) or not seeds:
            raise InputError(path, f"theme {i} needs a 'name' and a non-empty 'seeds' list")
        if any(t.name == name for t in lexicon):
            raise InputError(path, f"theme name {name!r} appears twice")
        if name == OTHER:
            raise InputError(path, f"theme {i}: {OTHER!r} is reserved for items that fit no theme")
        lexicon.append(
            Theme(
                name, str(entry.get("en", "")), tuple(dict.fromkeys(str(s).strip() for s in seeds)),
                " ".join(_notes(entry.get("definition"), path, name, "definition")),
                _notes(entry.get("include"), path, name, "include"), _notes(entry.get("exclude"), path, name, "exclude"),
            )
        )  # fmt: skip
    return lexicon


def codebook_table(lexicon: Sequence[Theme]) -> pd.DataFrame:
    """The codebook for reading: 主题 / 定义 / 包括 / 不包括 (notes joined by ；)."""
    return pd.DataFrame(
        {
            "主题": [t.name for t in lexicon],
            "定义": [t.definition or t.en for t in lexicon],
            "包括": ["；".join(t.include) for t in lexicon],
            "不包括": ["；".join(t.exclude) for t in lexicon],
        }
    )


def lexicon_scores(token_lists: Sequence[Sequence[str]], lexicon: Sequence[Theme]) -> np.ndarray:
    """Seed-term hits: ``(n_units, n_themes)`` counts of each theme's seed terms in each unit."""
    index: dict[str, list[int]] = {}
    for j, theme in enumerate(lexicon):
        for seed in theme.seeds:
            index.setdefault(seed, []).append(j)
    scores = np.zeros((len(token_lists), len(lexicon)))
    for i, tokens in enumerate(token_lists):
        for token in tokens:
            for j in index.get(token, ()):
                scores[i, j] += 1
    return scores


def seed_labels(scores: np.ndarray, ratio: float = SEED_RATIO) -> np.ndarray:
    """Per unit, the theme its seed hits clearly point to (best ≥ ``ratio`` × runner-up), else -1."""
    if scores.shape[1] == 0:
        return np.full(len(scores), -1)
    ordered = -np.sort(-scores, axis=1)
    best = ordered[:, 0]
    second = ordered[:, 1] if scores.shape[1] > 1 else np.zeros(len(scores))
    clear = (best > 0) & (best >= ratio * second)
    return np.where(clear, scores.argmax(axis=1), -1)


def one_plan_terms(lexicon: Sequence[Theme], token_lists: Sequence[Sequence[str]], doc_ids: Sequence[str]) -> dict[str, set[str]]:
    """Per document, the seed terms that occur in its units and in no other document's."""
    seeds = {s for t in lexicon for s in t.seeds}
    docs_of: dict[str, set[str]] = {}
    for tokens, doc in zip(token_lists, doc_ids):
        for token in seeds.intersection(tokens):
            docs_of.setdefault(token, set()).add(doc)
    out: dict[str, set[str]] = {doc: set() for doc in dict.fromkeys(doc_ids)}
    for term, docs in docs_of.items():
        if len(docs) == 1:
            out[next(iter(docs))].add(term)
    return out


def without_terms(lexicon: Sequence[Theme], drop: Iterable[str]) -> list[Theme]:
    """The lexicon with the seed terms in ``drop`` removed (themes left without seeds are kept, empty)."""
    drop = set(drop)
    return [replace(t, seeds=tuple(s for s in t.seeds if s not in drop)) for t in lexicon]
