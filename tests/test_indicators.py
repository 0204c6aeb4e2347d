"""Indicators across places: keys that line up, suggestions that never pair different measures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.methods.indicators import IndicatorMatcher, pairing_conflict, score_pairs
from analysis.methods.target_names import is_bare_name
from analysis.methods.targets import extract_corpus_targets

PAIRS = Path(__file__).resolve().parent / "data" / "indicator_pairs.csv"


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("乳腺癌早诊率", "宫颈癌早诊率", "disease"),
        ("城市孕产妇系统管理率", "农村孕产妇系统管理率", "population"),
        ("健康促进医院占比", "健康促进学校占比", "facility"),
        ("省级临床重点专科", "市级临床重点专科", "level"),
        ("献血屋", "献血车", "head"),
        ("三级医院", "三级医院预约诊疗率", "head"),
    ],
)
def test_pairs_that_differ_in_a_named_thing_conflict(a, b, reason):
    assert pairing_conflict(a, b) == reason


@pytest.mark.parametrize(("a", "b"), [("孕产妇死亡", "孕产妇死亡率"), ("健康素养水平", "居民健康素养水平"), ("家庭医生签约率", "家庭医生签约服务覆盖率")])
def test_same_measure_in_other_words_does_not_conflict(a, b):
    assert pairing_conflict(a, b) == ""


def test_suggestions_are_ranked_and_never_pair_different_diseases():
    names = ["乳腺癌早诊率", "宫颈癌早诊率", "孕产妇死亡", "孕产妇死亡率", "居民健康素养水平", "健康素养水平"]
    matcher = IndicatorMatcher({}).fit(names)
    out = matcher.suggest(names)
    pairs = {frozenset(p) for p in zip(out.indicator_key, out.suggested_key)}
    assert frozenset({"乳腺癌早诊率", "宫颈癌早诊率"}) not in pairs
    assert pairs == {frozenset({"孕产妇死亡", "孕产妇死亡率"}), frozenset({"居民健康素养水平", "健康素养水平"})}
    assert out.score.is_monotonic_decreasing and (out.score >= out.similarity).all()


def test_precision_of_suggestions_on_labelled_pairs():
    pairs = pd.read_csv(PAIRS, dtype=str)
    assert set(pairs.same) == {"yes", "no"} and len(pairs) == 44
    matcher = IndicatorMatcher({}).fit([*pairs.a, *pairs.b])
    score = score_pairs(pairs, matcher)
    assert (score["n_proposed"], score["tp"]) == (11, 10)  # precision 0.91, recall 10/18
    invented = score_pairs(pairs[pairs.source == "invented"], matcher)
    assert (invented["n_proposed"], invented["tp"]) == (8, 8)
    wrong = score["pairs"][score["pairs"].proposed & (score["pairs"].same == "no")]
    assert wrong[["a", "b"]].values.tolist() == [["高层次人才", "中西医结合高层次人才"]]


def test_seed_indicators_line_up_and_name_the_measured_thing(corpus):
    targets = extract_corpus_targets(corpus.items, documents=corpus.documents)
    own = targets[~targets.is_benchmark]
    docs = own.groupby("indicator_key").doc_id.agg(lambda d: set(d))
    assert docs["县域医疗卫生次中心"] == {"chizhou-2024", "wanzhou-2024"}
    assert docs["示范性托育机构"] == {"chizhou-2024", "qingdao-2021", "wanzhou-2024"}
    assert docs["国家卫生乡镇"] == {"qingdao-2021", "wanzhou-2024"}
    bare = own.indicator[own.indicator.map(is_bare_name)]
    assert bare.tolist() == ["水平"]  # 力争二级以上公立医院均达到四级以上水平: the measure is named in the clause before


def test_bare_names():
    assert all(map(is_bare_name, ["比例", "城区", "改革", "普惠", "医疗急救圈”"]))
    assert not any(map(is_bare_name, ["每千人口托位数", "城区医疗急救圈", "普惠托育机构", "博士"]))
