"""The synthetic corpus generator writes plans the parser reads back exactly."""

from __future__ import annotations

from analysis.ingest import build_corpus
from analysis.synthetic import chinese_numeral, generate_corpus


def test_chinese_numerals():
    assert [chinese_numeral(n) for n in (1, 9, 10, 12, 20, 23)] == ["一", "九", "十", "十二", "二十", "二十三"]


def test_generated_plans_parse_to_the_items_written(tmp_path, corpus):
    manifest = generate_corpus(4, tmp_path, seed=3)
    again = generate_corpus(4, tmp_path / "again", seed=3)
    assert manifest.equals(again)
    assert (tmp_path / "synthetic_0001.txt").read_bytes() == (tmp_path / "again" / "synthetic_0001.txt").read_bytes()
    parsed = build_corpus(tmp_path, progress=False)
    counts = parsed.items.groupby("doc_id").size()
    assert counts.to_dict() == dict(zip(manifest.doc_id, manifest.n_items))
    assert set(parsed.items.text) <= set(corpus.items.text)
    assert parsed.documents.detected_title.str.match(r"^20\d\d年合成市000\d卫生健康工作要点$").all()
