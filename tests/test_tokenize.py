"""The tokenizer keeps health-policy terms whole and drops boilerplate, quantities and place names."""

from __future__ import annotations

import pickle
from collections import Counter

import pytest

from analysis.text.tokenize import HEALTHY_PLACE, Tokenizer, Vocabulary, corpus_places, short_place_name

BOILERPLATE = {"加强", "推进", "深化", "落实", "持续", "全市", "全区", "各县区", "以上", "工作", "建设"}


@pytest.fixture(scope="module")
def tokenizer(corpus):
    return Tokenizer.for_documents(corpus.documents)


@pytest.fixture(scope="module")
def item_tokens(corpus, tokenizer):
    return tokenizer.tokenize_many(corpus.items.text.tolist())


@pytest.mark.parametrize(
    "text, term",
    [
        ("全面推动紧密型县域医共体实质性运作", "紧密型县域医共体"),
        ("深入学习推广三明医改经验", "三明医改"),
        ("加快建设山东省“互联网+医疗健康”示范市", "互联网+医疗健康"),
        ("做好DRG/DIP支付方式改革与医保基金包干管理衔接工作", "DIP"),
        ("加强妇女“两癌”筛查", "两癌"),
        ("开展省级医养结合创新发展、安宁疗护试点", "安宁疗护"),
        ("推动电子健康卡在全市医疗卫生机构“一码通行”", "电子健康卡"),
        ("持续推进家庭医生签约服务", "家庭医生签约服务"),
    ],
)
def test_domain_terms_stay_whole(tokenizer, text, term):
    assert term in tokenizer.tokenize(text)


def test_boilerplate_quantities_and_punctuation_are_dropped(tokenizer):
    tokens = tokenizer.tokenize("全市新增托位6000个以上，每千人口托位数达到4个以上，2024年完成80%。")
    assert tokens.count("托位") == 1
    assert not any(ch.isdigit() for t in tokens for ch in t)
    assert not {"全市", "新增", "以上", "达到", "完成", "，", "。"} & set(tokens)


def test_variants_map_to_one_term(tokenizer):
    assert tokenizer.tokenize("推进慢病管理") == tokenizer.tokenize("推进慢性病管理") == ["慢性病"]
    assert tokenizer.tokenize("加快建设中医院") == ["中医医院"]


def test_place_names_are_removed_and_healthy_city_kept(tokenizer):
    assert short_place_name("青岛市") == "青岛" and short_place_name("西海岸新区") == "西海岸" and short_place_name("沙市") == "沙市"
    assert tokenizer.tokenize("聚力推进健康青岛行动，深化无烟青岛建设") == [HEALTHY_PLACE, "无烟"]
    assert "万州" not in tokenizer.tokenize("着力打造万州区域医疗中心")
    keep = Tokenizer(remove_places=False)
    assert "青岛" in keep.tokenize("深化无烟青岛建设")
    # a place not in the shipped list is removed once given (e.g. from a new manifest row)
    assert Tokenizer().tokenize("合成市卫生健康工作要点") == ["合成", "要点"]
    assert Tokenizer(["合成市"]).tokenize("合成市卫生健康工作要点") == ["要点"]


def test_corpus_places_come_from_the_manifest(corpus):
    places = corpus_places(corpus.documents)
    assert {"青岛市", "青岛", "池州", "西安", "万州区", "万州", "重庆", "山东", "陕西"} <= places


def test_seed_corpus_tokens_have_no_place_names_or_boilerplate(corpus, tokenizer, item_tokens):
    places = corpus_places(corpus.documents)
    counts = Counter(t for tokens in item_tokens for t in tokens)
    assert not places & set(counts), places & set(counts)
    assert not BOILERPLATE & set(counts)
    assert all(tokens for tokens in item_tokens)  # every one of the 198 items keeps content words
    # the commonest content words are policy vocabulary
    top = {t for t, _ in counts.most_common(30)}
    assert {"基层", "中医药", "公立医院", "人才", "结核病", "党建"} <= top


def test_batch_equals_single_and_tokenizer_pickles(corpus, tokenizer, item_tokens):
    texts = corpus.items.text.tolist()[:20]
    assert tokenizer.tokenize_many(texts) == [tokenizer.tokenize(t) for t in texts] == item_tokens[:20]
    clone = pickle.loads(pickle.dumps(tokenizer))
    assert clone.tokenize_many(texts) == item_tokens[:20]
    assert clone.fingerprint == tokenizer.fingerprint != Tokenizer(["合成市"]).fingerprint


def test_dictionary_loads_once_per_vocabulary():
    a, b = Tokenizer(["合成市"]), Tokenizer(["合成市"])
    assert a.segmenter is b.segmenter
    assert Tokenizer().segmenter is not a.segmenter
    assert Vocabulary.load() is Vocabulary.load()
