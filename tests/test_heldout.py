"""The held-out check corpus (tests/data/heldout): plans parse into the labelled items; labels are well formed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest.build import build_corpus
from analysis.methods.sampling import OTHER
from analysis.methods.themes import load_lexicon

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO / "tests" / "data" / "heldout"


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    """The held-out plans parsed by the project's ingest, with the 20-character excerpt the labels use."""
    frame = build_corpus(HELDOUT, progress=False).items
    return frame.assign(item_excerpt=frame.text.str[:20])


@pytest.fixture(scope="module")
def eval_script():
    """scripts/eval_heldout.py loaded as a module."""
    spec = importlib.util.spec_from_file_location("eval_heldout", REPO / "scripts" / "eval_heldout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_matches_the_seed_manifest_and_has_the_planned_spread():
    manifest, seeds = read_csv(HELDOUT / "manifest.csv"), read_csv(REPO / "data" / "raw" / "manifest.csv")
    assert list(manifest.columns) == list(seeds.columns)
    assert not set(manifest.doc_id) & set(seeds.doc_id)
    assert {"province", "city", "district", "county"} <= set(manifest.admin_level)
    linjiang = sorted(manifest[manifest.city == "临江市"].year.astype(int))
    assert linjiang == [2022, 2023, 2024]


def test_every_item_has_exactly_one_theme_label(items):
    labels = read_csv(HELDOUT / "theme_labels.csv")
    assert list(labels.columns) == ["doc_id", "item_excerpt", "theme"]
    assert not labels.duplicated(["doc_id", "item_excerpt"]).any()
    assert not items.duplicated(["doc_id", "item_excerpt"]).any()
    parsed = set(zip(items.doc_id, items.item_excerpt))
    labelled = set(zip(labels.doc_id, labels.item_excerpt))
    assert labelled == parsed, (sorted(labelled - parsed)[:3], sorted(parsed - labelled)[:3])
    assert items.groupby("doc_id").size().between(20, 45).all()


def test_theme_labels_use_codebook_names(items):
    labels = read_csv(HELDOUT / "theme_labels.csv")
    known = {theme.name for theme in load_lexicon()} | {OTHER}
    assert set(labels.theme) <= known, set(labels.theme) - known
    assert labels.theme.nunique() >= 15


def test_target_labels_point_at_items_whose_text_holds_the_value(items):
    labels = read_csv(HELDOUT / "target_labels.csv")
    assert list(labels.columns) == ["doc_id", "item_excerpt", "indicator", "comparator", "value", "unit"]
    merged = labels.merge(items[["doc_id", "item_excerpt", "text"]], on=["doc_id", "item_excerpt"], how="left")
    assert merged.text.notna().all(), merged[merged.text.isna()].head(3)
    literal = [value in text for value, text in zip(merged.value, merged.text)]
    assert all(literal), merged[[not ok for ok in literal]].head(3)
    assert set(labels.comparator) <= {"≥", "≤", "=", "increase"}
    assert labels.value.map(lambda v: float(v) > 0).all()
    assert len(labels) >= 100 and labels.doc_id.nunique() == 6


def test_target_matching_pairs_by_plan_value_and_indicator_overlap(eval_script):
    expected = pd.DataFrame({
        "doc_id": ["a", "a", "b"], "item_id": ["a-1", "a-2", "b-1"], "indicator": ["签约率", "托位数", "治疗率"],
        "value": ["70", "4", "90"], "unit": ["%", "个", "%"], "comparator": ["≥", "≥", "≥"],
    })  # fmt: skip
    found = pd.DataFrame({
        "doc_id": ["a", "a", "b", "b"], "item_id": ["a-1", "a-2", "b-1", "b-2"],
        "indicator": ["重点人群签约率", "托位", "成功治疗率", "接种率"],
        "value": ["70.0", "5", "90", "90"], "unit": ["%", "个", "%", "%"], "comparator": ["≥", "≥", "=", "≥"],
    })  # fmt: skip
    scores = eval_script.target_scores(found, expected)
    assert (scores["tp"], scores["precision"], scores["recall"]) == (2, 0.5, 2 / 3)
    assert scores["comparator_agreement"] == 0.5
    assert scores["missed"].indicator.tolist() == ["托位数"]
    assert sorted(scores["extra"].indicator) == ["托位", "接种率"]
