"""Synthetic corpora for benchmarks and tests only — never mixed with real data.

``generate_corpus(n_plans, out_dir)`` writes ``n_plans`` plausible plans into
``out_dir`` (a raw folder with its own ``manifest.csv``), built by resampling the
seed plans' section headings and recombining their items: a synthetic item keeps
the opening sentence (usually the headline) of a seed item of its section's heading
and swaps each later sentence, with probability :data:`SWAP_SHARE`, for a later
sentence of another seed item (half the time one of the same heading); a
one-sentence item gains a sentence as often. So most item texts are new while
their wording stays real (a benchmark of caches and tokenizers on verbatim copies of 198 seed
items would measure nothing). Place names are invented (``合成市0001``) so a
synthetic plan cannot be mistaken for a real one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.ingest.build import build_corpus
from analysis.ingest.manifest import MANIFEST_COLUMNS
from analysis.paths import raw_dir
from analysis.ingest.segment import SENTENCE_ENDS, split_sentences
from analysis.store import write_tables, write_text_atomic

CN_DIGITS = "一二三四五六七八九十"
#: Chance that a synthetic item swaps each later sentence for another seed item's (and that a one-sentence item gains one).
SWAP_SHARE = 0.6


def chinese_numeral(n: int) -> str:
    """1..99 as a Chinese numeral (一, 十, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    return (CN_DIGITS[tens - 1] if tens > 1 else "") + ("十" if tens else "") + (CN_DIGITS[ones - 1] if ones else "")


def render_plan(title: str, sections: list[tuple[str, list[str]]]) -> str:
    """Plan text in the common layout: title, ``一、`` sections, ``1.`` numbered items."""
    lines = [title, "", f"{title[:4]}，全市卫生健康工作坚持以人民健康为中心。"]
    number = 0
    for s, (heading, items) in enumerate(sections, start=1):
        lines.append(f"{chinese_numeral(s)}、{heading}")
        for text in items:
            number += 1
            lines.append(f"{number}.{text}")
    return "\n".join(lines) + "\n"


def _ended(sentence: str) -> str:
    """``sentence`` ending in sentence punctuation (``。`` added if it has none)."""
    return sentence if sentence.endswith(SENTENCE_ENDS) else sentence + "。"


class ItemRecombiner:
    """Synthetic item texts from the seed items (see the module docstring); one seeded generator."""

    def __init__(self, seed_items: pd.DataFrame, rng: np.random.Generator):
        self.rng = rng
        self.headings = sorted({heading(s) for s in seed_items.section if s})
        self.items = [split_sentences(t) for t in seed_items.text]
        self.members: dict[str, list[int]] = {}
        for i, section in enumerate(seed_items.section):
            self.members.setdefault(heading(section), []).append(i)
        self.sentences = {h: [s for i in rows for s in self.items[i][1:]] for h, rows in self.members.items()}
        self.all_sentences = [s for sentences in self.items for s in sentences[1:]]

    def _sentence(self, head: str) -> str:
        """A later sentence of a seed item: from the same heading or, as often, from any item."""
        pool = self.sentences[head] if self.sentences[head] and self.rng.random() < 0.5 else self.all_sentences
        return pool[int(self.rng.integers(len(pool)))]

    def item(self, head: str) -> str:
        """One item for a section headed ``head``: a seed item of that heading, recombined."""
        rows = self.members[head]
        template = self.items[rows[int(self.rng.integers(len(rows)))]]
        parts = [template[0]] + [self._sentence(head) if self.rng.random() < SWAP_SHARE else s for s in template[1:]]
        if len(parts) == 1 and self.rng.random() < SWAP_SHARE:
            parts.append(self._sentence(head))
        return "".join(_ended(p) for p in parts[:-1]) + parts[-1]


def heading(section: str) -> str:
    """A section heading without its ``一、`` number."""
    return section.split("、", 1)[-1]


def generate_corpus(n_plans: int, out_dir: str | Path, *, seed: int = 0, seed_raw: str | Path | None = None) -> pd.DataFrame:
    """Write ``n_plans`` synthetic plans and ``manifest.csv`` to ``out_dir``; return the manifest.

    Each plan has 6–12 sections drawn from the seed plans' headings, each with
    3–9 items recombined from the seed items under that heading
    (:class:`ItemRecombiner`). The returned frame has the manifest columns plus
    ``n_items`` (items written to the plan). Same ``seed``, same files.
    """
    rng = np.random.default_rng(seed)
    maker = ItemRecombiner(build_corpus(raw_dir(seed_raw), progress=False).items, rng)
    out = Path(out_dir)
    rows = []
    for i in range(1, n_plans + 1):
        city, year = f"合成市{i:04d}", int(rng.integers(2019, 2026))
        title = f"{year}年{city}卫生健康工作要点"
        picked = rng.choice(len(maker.headings), size=int(rng.integers(6, 13)), replace=False)
        sections = []
        for h in picked:
            head = maker.headings[h]
            sections.append((head, [maker.item(head) for _ in range(int(rng.integers(3, 10)))]))
        file = f"synthetic_{i:04d}.txt"
        write_text_atomic(out / file, render_plan(title, sections))
        rows.append(
            {
                "doc_id": f"synthetic-{i:04d}",
                "file": file,
                "city": city,
                "province": "合成省",
                "admin_level": "city",
                "year": year,
                "title": title,
                "doc_type": "work_plan",
                "source": f"synthetic (seed {seed}); benchmark data, not a real plan",
                "n_items": sum(len(items) for _, items in sections),
            }
        )
    manifest = pd.DataFrame(rows)
    write_tables({"manifest": manifest[MANIFEST_COLUMNS]}, out)
    return manifest
