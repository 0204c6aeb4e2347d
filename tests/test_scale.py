"""The paths that keep large corpora fast give the results of the straightforward computation.

Also runs the benchmark script on the seed corpus to show it works (no timing asserted).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize

from analysis.methods import theme_discovery
from analysis.methods.continuity import _nearest
from analysis.methods.profiles import attention_profiles
from conftest import REPO


def test_continuity_one_pass_equals_nearest_neighbours_both_ways(monkeypatch):
    rng = np.random.default_rng(1)
    rows = sp.random(700, 60, density=0.08, random_state=rng, format="csr")
    rows.data = np.round(rows.data, 1)  # repeated values: ties among candidates
    rows = normalize(sp.vstack([rows, rows[:40]]).tocsr())  # exact duplicates: tied best matches
    base, compare = rows[:400], rows[400:]
    monkeypatch.setattr("analysis.methods.continuity.WORKING_MEMORY_MB", 1)  # several blocks of compare rows
    to_base, sim_c, sim_b = _nearest(compare, base)
    expected_c = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute").fit(base).kneighbors(compare)
    expected_b = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute").fit(compare).kneighbors(base)
    assert np.array_equal(to_base, expected_c[1][:, 0])
    assert np.array_equal(sim_c, np.clip(1 - expected_c[0][:, 0], 0, 1))
    assert np.array_equal(sim_b, np.clip(1 - expected_b[0][:, 0], 0, 1))
    twins = compare[-40:].getnnz(axis=1) > 0
    assert twins.sum() > 30 and np.allclose(sim_c[-40:][twins], 1.0)  # duplicated rows find their twins


def test_profiles_of_many_groups_equal_each_group_alone():
    rng = np.random.default_rng(0)
    docs = [f"d{i}" for i in range(30)]
    items = pd.DataFrame(
        [{"doc_id": d, "item_id": f"{d}-{p:04d}", "position": p, "n_chars": int(rng.integers(20, 200)), "theme_id": t}
         for d in docs for p, t in enumerate(rng.integers(1, 7, size=int(rng.integers(1, 12))), start=1)]
    ).assign(theme_label=lambda f: "主题" + f.theme_id.astype(str))  # fmt: skip
    groups = {"前半": docs[:15], "后半": docs[15:], "重叠": docs[10:20], "重复": ["d3", "d3", "d4"], **{d: [d] for d in docs}}
    for weight in ("items", "chars"):
        together = attention_profiles(items, groups, weight)
        alone = pd.concat([attention_profiles(items, {name: ids}, weight) for name, ids in groups.items()], ignore_index=True)
        pd.testing.assert_frame_equal(together, alone)
        single = together[together.group == "d3"].set_index("theme_id")
        d3 = items[items.doc_id == "d3"]
        counts = d3.theme_id.value_counts() if weight == "items" else d3.groupby("theme_id").n_chars.sum()
        assert np.allclose(single.share.reindex(counts.index), counts / counts.sum())


def test_silhouette_is_exact_below_the_limit_and_a_seeded_sample_above(monkeypatch):
    rng = np.random.default_rng(2)
    X = normalize(rng.random((300, 8)))
    labels = rng.integers(0, 4, 300)
    assert theme_discovery.silhouette(X, labels) == silhouette_score(X, labels, metric="cosine")
    monkeypatch.setattr(theme_discovery, "SILHOUETTE_MAX_UNITS", 100)
    sampled = theme_discovery.silhouette(X, labels, seed=5)
    assert sampled == silhouette_score(X, labels, metric="cosine", sample_size=100, random_state=5)
    assert sampled == theme_discovery.silhouette(X, labels, seed=5) != theme_discovery.silhouette(X, labels, seed=6)


def test_benchmark_runs_on_the_seed_corpus():
    done = subprocess.run(
        [sys.executable, "scripts/bench.py", "--sizes", "5", "--no-reports"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    row = next(line.split() for line in lines if line.split()[:3] == ["5", "198", "198"])
    assert len(row) == 4 + 5 + 3  # plans, items, distinct, chars; five stages; end-to-end, items/s, cached
    assert any(line.startswith("     5") and "×" in line for line in lines)  # tokenization ratio row
    assert "n/a" in done.stdout  # the 2,000-plan goals need that size
