"""Each theme mode on constructed corpora with planted themes (known answers), and the pieces they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import normalize

from analysis.errors import InputError
from analysis.methods import themes
from analysis.methods.theme_assign import ThemeAssigner
from analysis.methods.theme_discovery import ConsensusNMF, class_tfidf, dominant_lexicon, top_terms
from analysis.methods.theme_eval import label_agreement
from analysis.methods.theme_lexicon import OTHER, Theme, one_plan_terms, seed_labels, without_terms
from analysis.methods.theme_trained import read_codes

#: Planted themes: name, the one seed term, and words typical of the theme that are not seeds.
PLANTED = {
    "中医药": ("中医药", ["中医馆", "名中医", "中药", "传承", "针灸", "治未病"]),
    "托育": ("托育", ["托位", "婴幼儿", "普惠", "照护", "家庭", "生育"]),
    "疾控": ("传染病", ["疫苗接种", "监测预警", "哨点", "结核病", "艾滋病", "流感"]),
}
LEXICON = [Theme(name, "", (seed,)) for name, (seed, _) in PLANTED.items()]


def planted_corpus(n_docs: int = 4, keyed: int = 3, weak: int = 1, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Items written from the planted vocabularies: per document and theme ``keyed`` items naming the seed
    term and ``weak`` items using only the theme's other words. Returns ``(items, true theme by item_id)``."""
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    for d in range(n_docs):
        doc = f"d{d}"
        for name, (term, words) in PLANTED.items():
            for j in range(keyed + weak):
                picked = list(rng.choice(words, 3 if j < keyed else 4, replace=False))
                lead = f"{term}工作：" if j < keyed else ""
                text = f"{lead}加强{picked[0]}和{picked[1]}建设，推进{'、'.join(picked[2:])}。"
                item_id = f"{doc}-{len(rows) + 1:04d}"
                rows.append({"doc_id": doc, "item_id": item_id, "text": text})
                truth[item_id] = name
    return pd.DataFrame(rows), pd.Series(truth)


# --------------------------------------------------------------------------- guided


def test_assigner_keyed_rows_decide_and_words_carry_the_weak_ones():
    # columns: two words of theme 0, two of theme 1; evidence: seed hits of themes 0 and 1
    X = normalize(np.array([[1, 1, 0, 0], [1, 0.5, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0.5], [1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]], float))
    evidence = np.array([[1, 0], [2, 0], [0, 1], [0, 2], [0, 0], [0, 0], [0, 0]])
    model = ThemeAssigner(threshold=0.6).fit(X, evidence)
    assert list(model.classes_) == [0, 1] and list(model.keyed_) == [0, 0, 1, 1, -1, -1, -1]
    p = model.predict_proba(X, evidence)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert list(model.predict(X, evidence)) == [0, 0, 1, 1, 0, 1, -1]  # the last row is a tie: 其他
    assert abs(p[6, 0] - 0.5) < 0.01
    # keyword evidence outweighs the words: theme 1's words but two hits of theme 0
    assert model.predict(X[[5]], np.array([[2, 0]]))[0] == 0


def test_assigner_needs_two_keyed_themes():
    with pytest.raises(ValueError, match="at least two themes"):
        ThemeAssigner().fit(np.eye(3), np.array([[1, 0], [1, 0], [0, 0]]))


def test_guided_mode_on_planted_themes():
    items, truth = planted_corpus()
    result = themes.find_themes(items, lexicon=LEXICON, stability_seeds=2)
    it = result.item_themes.set_index("item_id")
    assert (it.theme_label == truth[it.index]).all()
    weak = it[it.evidence == "words"]
    assert len(weak) == 4 * 3 and (weak.theme_label == truth[weak.index]).all()  # every weak item placed right by its words
    assert (it.confidence[it.evidence == "keyword"] > 0.9).all() and it.confidence.between(0, 1).all()
    assert list(result.themes.theme_label) == ["中医药", "托育", "疾控"] and (result.themes["size"] == 16).all()
    assert result.diagnostics["keyword_units"] == 36 and result.diagnostics["other_units"] == 0
    assert result.diagnostics["stability"]["mean_ari"] == 1.0
    probs = result.probabilities
    assert list(probs.columns) == themes.PROBABILITY_COLUMNS and len(probs) == 3 * len(items)
    again = themes.find_themes(items, lexicon=LEXICON, stability_seeds=2)
    pd.testing.assert_frame_equal(again.item_themes, result.item_themes)


def test_guided_mode_sends_items_that_fit_no_theme_to_other_and_offers_candidates():
    items, truth = planted_corpus()
    extra = ["加强城市绿化和道路交通管理，推进停车场、公交建设。", "推进道路交通和停车场建设，加强公交、城市绿化管理。",
             "城市绿化与公交：加强道路交通、停车场管理。"] * 2  # fmt: skip
    unrelated = pd.DataFrame({"doc_id": ["d0", "d1", "d2", "d3", "d0", "d1"], "item_id": [f"x-{i}" for i in range(6)], "text": extra})
    empty = pd.DataFrame({"doc_id": ["d0"], "item_id": ["x-empty"], "text": ["统筹做好其他工作。"]})
    result = themes.find_themes(pd.concat([items, unrelated, empty], ignore_index=True), lexicon=LEXICON, stability_seeds=1)
    it = result.item_themes.set_index("item_id")
    assert (it.loc[unrelated.item_id, "theme_label"] == OTHER).all() and (it.loc[unrelated.item_id, "theme_id"] == 0).all()
    assert it.loc["x-empty", "evidence"] == "none" and it.loc["x-empty", "theme_label"] == OTHER
    assert (it.loc[truth.index, "theme_label"] == truth).all()
    assert OTHER not in set(result.themes.theme_label)
    [candidate] = result.candidates.itertuples()
    assert candidate.size == 6 and set(candidate.item_ids.split(";")) == set(unrelated.item_id)
    assert {"城市绿化", "道路交通", "停车场", "公交"} <= set(candidate.top_terms.split(";")[:4])


# --------------------------------------------------------------------------- discovery


def test_consensus_nmf_recovers_blobs_whatever_the_seed():
    rng = np.random.default_rng(0)
    X = np.repeat(np.eye(9)[[0, 3, 6]] + np.eye(9)[[1, 4, 7]], 8, axis=0) + 0.3 * rng.random((24, 9))
    truth = np.repeat([0, 1, 2], 8)
    fits = [ConsensusNMF(3, n_runs=10, random_state=s).fit(X) for s in (0, 50)]
    assert all(adjusted_rand_score(truth, f.labels_) == 1.0 for f in fits)
    assert list(fits[0].labels_[[0, 8, 16]]) == [0, 1, 2]  # numbered by first appearance
    auto = ConsensusNMF("auto", k_range=(2, 6), k_step=1, n_runs=10, random_state=0).fit(X)
    assert auto.n_clusters_ == 3 and [r["k"] for r in auto.k_selection_] == [2, 3, 4, 5, 6]


def test_dominant_lexicon_names_a_cluster_only_when_one_theme_holds_half_of_it():
    keyed = np.array([0, 0, -1, -1, 1, -1, -1, -1, 0, 0, 0])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    # cluster 0: theme 0 keys 2 of 4 (50%) -> named; cluster 1: 1 of 4 -> not; cluster 2: 3 of 3 beats cluster 0 for theme 0
    assert list(dominant_lexicon(keyed, labels, 3)) == [-1, -1, 0]
    assert list(dominant_lexicon(keyed[:8], labels[:8], 2)) == [0, -1]


def test_discovery_mode_on_planted_themes():
    items, truth = planted_corpus(keyed=4, weak=0)
    result = themes.find_themes(items, mode="discovery", k=3, lexicon=LEXICON[:1], stability_seeds=2)
    it = result.item_themes.set_index("item_id")
    assert adjusted_rand_score(truth[it.index], it.theme_label) == 1.0
    assert result.diagnostics["stability"]["mean_ari"] == 1.0 and result.diagnostics["other_units"] == 0
    named = result.themes.set_index("lexicon_theme").theme_label
    assert named["中医药"] == "中医药" and (result.themes.lexicon_theme == "").sum() == 2  # only the lexicon theme gets its name
    unnamed = result.themes[result.themes.lexicon_theme == ""].theme_label
    assert all(len(name.split("·")) == 3 for name in unnamed)
    assert result.probabilities is None and result.candidates is None


def test_class_tfidf_prefers_terms_typical_of_one_class():
    tokens = [["托育", "托位", "服务"], ["托育", "托位", "服务"], ["疾控", "传染病", "服务"], ["疾控", "传染病", "服务"]]
    terms, weights = class_tfidf(tokens, np.array([0, 0, 1, 1]), 2)
    assert top_terms(terms, weights, n=2) == [["托位", "托育"], ["传染病", "疾控"]]


# --------------------------------------------------------------------------- trained


def test_trained_mode_learns_the_codes_and_cross_validates_by_plan():
    items, truth = planted_corpus(keyed=2, weak=2)
    codes = pd.DataFrame({"item_id": truth.index, "code": truth.map({"中医药": "甲", "托育": "乙", "疾控": "丙"}).to_numpy()})
    result = themes.find_themes(items, mode="trained", codes=codes.iloc[::2], lexicon=LEXICON, stability_seeds=1)
    cv = result.diagnostics["cross_validation"]
    assert cv["n"] == 24 and cv["n_plans"] == 4 and cv["accuracy"] == 1.0 and cv["kappa"] == 1.0
    it = result.item_themes.set_index("item_id")
    assert (it.theme_label == codes.set_index("item_id").code[it.index]).all()  # uncoded items too
    assert set(result.probabilities.theme_label) == {"甲", "乙", "丙"}


def test_read_codes_rejects_bad_files(tmp_path):
    known = pd.Series(["a-1", "a-2", "a-3"])
    (tmp_path / "ok.csv").write_text("item_id,code\na-1,中医药\na-2,\na-3,托育\n", encoding="utf-8")
    assert read_codes(tmp_path / "ok.csv", known).item_id.tolist() == ["a-1", "a-3"]
    pd.DataFrame({"item_id": ["a-1"], "code": ["中医药"]}).to_excel(tmp_path / "ok.xlsx", index=False)
    assert read_codes(tmp_path / "ok.xlsx", known).code.tolist() == ["中医药"]
    bad = {
        "dup.csv": ("item_id,code\na-1,甲\na-1,乙\n", "1 duplicate item id"),
        "unknown.csv": ("item_id,code\nz-9,甲\n", "1 item ids not in the corpus, e.g. z-9"),
        "cols.csv": ("item,code\na-1,甲\n", "missing column item_id"),
        "empty.csv": ("item_id,code\na-1,\n", "has no coded items"),
    }
    for name, (text, message) in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            read_codes(tmp_path / name, known)


# --------------------------------------------------------------------------- evaluation pieces


def test_label_agreement_worked_by_hand():
    scores = label_agreement(["a", "a", "b", "b"], ["a", "a", "b", "a"])
    # observed agreement 3/4; chance (2/4·3/4 + 2/4·1/4) = 1/2; kappa = (3/4 − 1/2) / (1 − 1/2)
    assert scores["n"] == 4 and scores["accuracy"] == 0.75 and scores["kappa"] == 0.5
    assert label_agreement(["x", "y"], ["p", "q"]) == {"n": 2, "accuracy": 0.0, "nmi": 1.0, "ari": 1.0, "kappa": 0.0}


def test_one_plan_terms_and_their_removal():
    lexicon = [Theme("甲", "", ("托育", "托位")), Theme("乙", "", ("中医药", "针灸"))]
    tokens = [["托育", "托位"], ["托育"], ["中医药", "针灸"], ["中医药"]]
    only = one_plan_terms(lexicon, tokens, ["p", "q", "p", "q"])
    assert only == {"p": {"托位", "针灸"}, "q": set()}
    reduced = without_terms(lexicon, only["p"])
    assert [t.seeds for t in reduced] == [("托育",), ("中医药",)] and lexicon[0].seeds == ("托育", "托位")


def test_seed_labels_need_a_clear_winner():
    scores = np.array([[3, 1, 0], [2, 2, 0], [0, 0, 0], [0, 1, 0], [3, 2, 0]])
    assert list(seed_labels(scores)) == [0, -1, -1, 1, 0]
