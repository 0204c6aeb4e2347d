"""Report building blocks: escaped document text, searchable self-contained tables, the data version."""

from __future__ import annotations

import json
import re

import pandas as pd

from analysis.report import kit


def test_header_and_table_escape_document_text():
    head = kit.header("青岛 <2021>", "青岛市 2021 vs 2024", ["<script>alert(1)</script> 增加 3.2 个百分点"])
    assert "<script>" not in head.data and "&lt;script&gt;" in head.data
    assert "<ul class='key-findings'><li>&lt;script&gt;" in head.data
    tab = kit.table(pd.DataFrame({"text": ["<b>托育</b>", "</script><script>alert(2)</script>"]}), caption="示例").data
    assert "&lt;b&gt;托育&lt;/b&gt;" in tab and "<b>托育</b>" not in tab and "<script>alert(2)" not in tab


def _rows(shown: str) -> list[list[str]]:
    """The cells of a kit.table as DataTables receives them (its ``data_json``)."""
    found = re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', shown)
    return json.loads(json.loads(found.group(1)))


def test_table_is_searchable_complete_and_self_contained(monkeypatch):
    monkeypatch.setattr(kit, "_bundle_shown_for", None)
    frame = pd.DataFrame({"item": [f"事项 {i}" for i in range(1, 206)], "new": [i % 2 == 0 for i in range(205)]})
    first = kit.table(frame, caption="全部事项").data
    rows = _rows(first)
    assert len(rows) == 205 and rows[204] == ["事项 205", "是"] and rows[1] == ["事项 2", "否"]  # no row cap; 是/否
    assert '"searching"' not in first and '"topEnd": null' not in first  # long table: search box and pages shown
    assert "搜索：" in first and "每页 _MENU_ 行" in first  # controls in Chinese, as characters the page font covers
    assert "window._itables" in first and len(first) > 500_000  # DataTables' code is in the page …
    second = kit.table(frame.head(3)).data
    assert len(second) < 20_000 and "window._itables" in second  # … once: later tables only use it
    for page in (first, second):  # nothing is loaded from outside
        assert not re.search(r"<(script|link|img)[^>]+(src|href)\s*=\s*['\"]?https?:", page)
        assert not re.search(r"@import|url\(\s*['\"]?https?:", page)  # (test_browser watches the requests themselves)
    missing = kit.table(pd.DataFrame({"rank_change": pd.array([1, None], dtype="Int64"), "flag": [True, None]})).data
    assert _rows(missing) == [["1", "是"], ["", ""]] and "<NA>" not in missing and "None" not in missing


def test_yes_no_only_touches_boolean_columns():
    frame = pd.DataFrame({"a": [True, False], "b": pd.array([True, None], dtype="boolean"), "c": [1, 0], "d": ["True", "x"]})
    out = kit.yes_no(frame)
    assert out["a"].tolist() == ["是", "否"] and out["b"].tolist()[0] == "是" and pd.isna(out["b"].tolist()[1])
    assert out["c"].tolist() == [1, 0] and out["d"].tolist() == ["True", "x"]


def test_data_version_follows_the_data(processed, tmp_path, monkeypatch):
    version = kit.data_version(processed)
    assert len(version) == 12 and version == kit.data_version(processed)
    assert kit.data_version(tmp_path) != version
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    notes = kit.method_notes({"seed": 0}, processed)
    assert "generated 2023-11-14" in notes.data and version in notes.data and "<code>seed</code> = 0" in notes.data
