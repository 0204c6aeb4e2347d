"""Item continuity: continued / reworded / new / dropped on toy pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.methods.continuity import CONTINUITY_COLUMNS, classify, match_items


def frame(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({"item_id": [f"{prefix}{i}" for i in range(1, n + 1)], "text": [f"{prefix.upper()}{i}" for i in range(1, n + 1)]})


BASE_TOKENS = [["托育", "托位", "婴幼儿", "照护", "普惠"], ["医共体", "紧密型", "县域", "牵头医院"], ["献血", "血站", "血液"]]
COMPARE_TOKENS = [
    ["托育", "托位", "婴幼儿", "照护", "普惠"],  # same commitment, same words
    ["医共体", "县域", "药房", "中心", "信息", "共享"],  # same topic, new wording
    ["职业病", "监测", "尘肺"],  # nothing like it before
]


def test_toy_pairs_are_continued_reworded_new_and_dropped():
    out = match_items(frame("b", 3), frame("c", 3), BASE_TOKENS, COMPARE_TOKENS)
    assert list(out.columns) == CONTINUITY_COLUMNS
    assert out.status.tolist() == ["continued", "reworded", "new", "dropped"]
    assert out.similarity[0] == 1.0 and 0.15 <= out.similarity[1] < 0.5 and out.similarity[2] == 0
    assert out.base_item_id.tolist() == ["b1", "b2", "", "b3"] and out.compare_item_id.tolist() == ["c1", "c2", "c3", ""]
    assert out.base_text.tolist() == ["B1", "B2", "", "B3"] and out.compare_text.tolist() == ["C1", "C2", "C3", ""]


def test_many_to_one_matches_keep_the_base_item():
    # a base item split into two compare items: both match it, it is not dropped
    base_tokens = [["托育", "托位", "医养结合", "安宁疗护"]]
    out = match_items(frame("b", 1), frame("c", 2), base_tokens, [["托育", "托位"], ["医养结合", "安宁疗护"]])
    assert out.status.tolist() == ["continued", "continued"]  # each half keeps its words: cosine 1/sqrt(2)
    assert out.similarity.tolist() == [0.7071, 0.7071]
    assert out.base_item_id.tolist() == ["b1", "b1"] and "dropped" not in set(out.status)


def test_thresholds_and_empty_sides():
    sims = np.array([0.0, 0.1499, 0.15, 0.4999, 0.5, 1.0])
    assert classify(sims).tolist() == ["new", "new", "reworded", "reworded", "continued", "continued"]
    assert classify(sims, continued=0.9, reworded=0.05).tolist() == ["new", "reworded", "reworded", "reworded", "reworded", "continued"]
    with pytest.raises(ValueError):
        classify(sims, continued=0.1, reworded=0.3)
    only_new = match_items(frame("b", 0), frame("c", 2), [], [["托育"], ["献血"]])
    assert only_new.status.tolist() == ["new", "new"] and only_new.base_item_id.tolist() == ["", ""]
    only_dropped = match_items(frame("b", 1), frame("c", 0), [["托育"]], [])
    assert only_dropped.status.tolist() == ["dropped"]
