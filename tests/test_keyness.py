"""Weighted log-odds keyness with an informative Dirichlet prior on toy corpora with obvious answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.methods.keyness import KEYNESS_COLUMNS, keyness, weighted_log_odds

# base plans stress childcare, compare plans elderly care; 健康 and 服务 are common to both
BASE = [["托育", "健康", "服务", "托育"], ["托育", "托位", "健康"], ["托育", "服务", "婴幼儿"], ["托育", "健康"]]
COMPARE = [["医养结合", "健康", "服务"], ["医养结合", "安宁疗护", "健康"], ["医养结合", "服务", "医养结合"], ["健康", "老年"]]


def test_obvious_terms_rank_first_on_each_side():
    table = keyness(BASE, COMPARE, top=3)
    assert list(table.columns) == KEYNESS_COLUMNS
    top = table.set_index(["side", "rank"])
    assert top.loc[("compare", 1), "term"] == "医养结合" and top.loc[("base", 1), "term"] == "托育"
    assert top.loc[("compare", 1), "n_compare"] == 4 and top.loc[("compare", 1), "items_compare"] == 3
    assert top.loc[("base", 1), "n_base"] == 5 and top.loc[("base", 1), "items_base"] == 4
    assert (table[table.side == "compare"].z > 0).all() and (table[table.side == "base"].z < 0).all()
    assert table[table.side == "compare"].z.is_monotonic_decreasing
    assert "健康" not in set(table.term)  # used equally by both sides (4 of 14 vs 4 of 12 tokens), never at the top


def test_rare_terms_are_not_over_ranked():
    # 老年 appears once, only in compare (infinite raw ratio); 医养结合 four times vs zero
    table = keyness(BASE, COMPARE, top=10).set_index("term")
    assert table.loc["医养结合", "z"] > 2 * table.loc["老年", "z"] > 0
    assert table.loc["医养结合", "rank"] < table.loc["老年", "rank"]


def test_log_odds_formula_symmetry_and_prior_strength():
    base, compare, prior = np.array([10, 0, 5]), np.array([0, 10, 5]), np.array([1.0, 1.0, 1.0])
    delta, z = weighted_log_odds(base, compare, prior)
    # term 2: log((10+1)/(15+3-10-1)) - log((0+1)/(15+3-0-1)) = log(11/7) - log(1/17)
    assert delta[1] == pytest.approx(np.log(11 / 7) - np.log(1 / 17))
    assert z[1] == pytest.approx(delta[1] / np.sqrt(1 / 11 + 1 / 1))
    assert z[0] == pytest.approx(-z[1]) and z[2] == pytest.approx(0)
    swapped = weighted_log_odds(compare, base, prior)[1]
    np.testing.assert_allclose(swapped, -z)
    weak = keyness(BASE, COMPARE, prior_weight=0.01).set_index("term").log_odds
    strong = keyness(BASE, COMPARE, prior_weight=1.0).set_index("term").log_odds
    assert 0 < strong["医养结合"] < weak["医养结合"] and weak["托育"] < strong["托育"] < 0  # a larger prior shrinks


def test_background_only_informs_the_prior():
    with_bg = keyness(BASE, COMPARE, background_tokens=[["托育"] * 50, ["监测"] * 20], top=30)
    assert "监测" not in set(with_bg.term)  # not used by either group
    assert with_bg.set_index(["side", "rank"]).loc[("compare", 1), "term"] == "医养结合"
    assert keyness([[]], [[]], [["监测"]]).empty
