"""Synthetic corpora for benchmarks and tests only — never mixed with real data.

``generate_corpus(n_plans, out_dir)`` writes ``n_plans`` plausible plans into
``out_dir`` (a raw folder with its own ``manifest.csv``), built by resampling the
seed plans' section headings and items. Place names are invented (``合成市0001``)
so a synthetic plan cannot be mistaken for a real one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.ingest import build_corpus
from analysis.manifest import MANIFEST_COLUMNS
from analysis.paths import raw_dir
from analysis.store import write_tables, write_text_atomic

CN_DIGITS = "一二三四五六七八九十"


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


def generate_corpus(n_plans: int, out_dir: str | Path, *, seed: int = 0, seed_raw: str | Path | None = None) -> pd.DataFrame:
    """Write ``n_plans`` synthetic plans and ``manifest.csv`` to ``out_dir``; return the manifest.

    Each plan has 6–12 sections drawn from the seed plans' headings, each with
    3–9 items drawn (with replacement) from all seed items. The returned frame
    has the manifest columns plus ``n_items`` (items written to the plan).
    """
    rng = np.random.default_rng(seed)
    seeds = build_corpus(raw_dir(seed_raw), progress=False).items
    headings = sorted({s.split("、", 1)[-1] for s in seeds.section if s})
    texts = seeds.text.tolist()
    out = Path(out_dir)
    rows = []
    for i in range(1, n_plans + 1):
        city, year = f"合成市{i:04d}", int(rng.integers(2019, 2026))
        title = f"{year}年{city}卫生健康工作要点"
        picked = rng.choice(len(headings), size=int(rng.integers(6, 13)), replace=False)
        sections = [(headings[h], [texts[t] for t in rng.integers(0, len(texts), size=int(rng.integers(3, 10)))]) for h in picked]
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
