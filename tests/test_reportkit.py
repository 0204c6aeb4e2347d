"""Report building blocks escape document text and pin the data version."""

from __future__ import annotations

import pandas as pd

from analysis.report import kit


def test_header_and_table_escape_document_text():
    head = kit.header("青岛 <2021>", "青岛市 2021 vs 2024", ["<script>alert(1)</script> 增加 3.2 个百分点"])
    assert "<script>" not in head.data and "&lt;script&gt;" in head.data
    assert "<ul class='key-findings'><li>&lt;script&gt;" in head.data
    tab = kit.table(pd.DataFrame({"text": ["<b>托育</b>"]}), caption="示例")
    assert "&lt;b&gt;托育&lt;/b&gt;" in tab.data and "<b>托育</b>" not in tab.data.replace("<b>示例</b>", "")
    long = kit.table(pd.DataFrame({"n": range(205)}))
    assert long.data.count("<tr>") == 200 and "另有 5 行未显示" in long.data
    missing = kit.table(pd.DataFrame({"rank_change": pd.array([1, None], dtype="Int64")}))
    assert "&lt;NA&gt;" not in missing.data and "<td>1</td>" in missing.data


def test_data_version_follows_the_data(processed, tmp_path, monkeypatch):
    version = kit.data_version(processed)
    assert len(version) == 12 and version == kit.data_version(processed)
    assert kit.data_version(tmp_path) != version
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    notes = kit.method_notes({"seed": 0}, processed)
    assert "generated 2023-11-14" in notes.data and version in notes.data and "<code>seed</code> = 0" in notes.data
