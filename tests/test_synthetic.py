"""The synthetic corpus generator writes plans the parser reads back exactly, with mostly new item texts."""

from __future__ import annotations

from analysis.ingest.build import build_corpus
from analysis.ingest.segment import split_sentences
from analysis.ingest.synthetic import chinese_numeral, generate_corpus


def test_chinese_numerals():
    assert [chinese_numeral(n) for n in (1, 9, 10, 12, 20, 23)] == ["一", "九", "十", "十二", "二十", "二十三"]


def test_generated_plans_parse_to_the_items_written(tmp_path, corpus):
    manifest = generate_corpus(4, tmp_path, seed=3)
    again = generate_corpus(4, tmp_path / "again", seed=3)
    assert manifest.equals(again)
    assert (tmp_path / "synthetic_0001.txt").read_bytes() == (tmp_path / "again" / "synthetic_0001.txt").read_bytes()
    generate_corpus(1, tmp_path / "other", seed=4)
    assert (tmp_path / "synthetic_0001.txt").read_bytes() != (tmp_path / "other" / "synthetic_0001.txt").read_bytes()
    parsed = build_corpus(tmp_path, progress=False)
    counts = parsed.items.groupby("doc_id").size()
    assert counts.to_dict() == dict(zip(manifest.doc_id, manifest.n_items))
    assert parsed.documents.detected_title.str.match(r"^20\d\d年合成市000\d卫生健康工作要点$").all()
    # every sentence is a seed sentence (a missing final 。 restored), every item opens with a seed item's first sentence
    seed_sentences = {s.rstrip("。") for text in corpus.items.text for s in split_sentences(text)}
    openings = {split_sentences(text)[0] for text in corpus.items.text}
    for text in parsed.items.text:
        sentences = split_sentences(text)
        assert sentences[0] in openings
        assert {s.rstrip("。") for s in sentences} <= seed_sentences


def test_most_synthetic_items_are_new_texts(tmp_path, corpus):
    generate_corpus(30, tmp_path, seed=0)
    items = build_corpus(tmp_path, progress=False).items
    assert len(items) > 1000
    assert items.text.nunique() > 0.6 * len(items)  # recombined, not 198 seed items copied over and over
    assert len(set(items.text) - set(corpus.items.text)) > 0.5 * len(items)
