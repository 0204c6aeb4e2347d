"""Group selectors pick documents by manifest fields and explain what exists when they cannot."""

from __future__ import annotations

import pytest

from analysis.errors import InputError
from analysis.methods.selectors import groups_by, parse_selector, select_documents


def test_selectors_pick_the_seed_documents(corpus):
    docs = corpus.documents
    assert select_documents(docs, "city=青岛市,year=2021") == ["qingdao-2021"]
    assert select_documents(docs, "city=青岛市") == ["qingdao-2024", "qingdao-2021"]
    assert select_documents(docs, "year=2024,city!=西安市") == ["qingdao-2024", "chizhou-2024", "wanzhou-2024"]
    assert select_documents(docs, "city=西安市|万州区") == ["xian-2024", "wanzhou-2024"]
    assert select_documents(docs, "year=2024,city!=西安市|池州市") == ["qingdao-2024", "wanzhou-2024"]
    assert select_documents(docs, " admin_level = district ") == ["wanzhou-2024"]


def test_selector_text_label_and_slug():
    sel = parse_selector("year=2024, city!=西安市|池州市")
    assert str(sel) == "year=2024,city!=西安市|池州市"
    assert sel.label == "2024 除西安市、池州市外"
    assert sel.slug == "year-2024_city-not-西安市+池州市"
    assert parse_selector("city=青岛市,year=2021").label == "青岛市 2021"
    assert parse_selector("doc_id=a/b").slug == "doc_id-a-b"


@pytest.mark.parametrize(
    "text, message",
    [
        ("cty=青岛市", "unknown field 'cty' in group selector 'cty=青岛市'; fields: doc_id, file, city, province"),
        ("city=青島市", "no document has city='青島市' (selector 'city=青島市'); city values: 万州区, 池州市, 西安市, 青岛市"),
        ("city=青岛市,year=2022", "year values: 2021, 2024"),
        ("city=西安市,year=2021", "no document matches group selector 'city=西安市,year=2021'; documents: qingdao-2024 (city=青岛市, year=2024)"),
        ("city青岛市", "'city青岛市' in group selector 'city青岛市' is not field=value or field!=value"),
        ("city=", "is not field=value"),
        ("city=|", "has no value"),
        (" , ", "empty group selector"),
    ],
)
def test_bad_selectors_list_what_exists(corpus, text, message):
    with pytest.raises(InputError) as err:
        select_documents(corpus.documents, text, source="data/processed/documents.csv")
    assert str(err.value).startswith("data/processed/documents.csv: ")
    assert message in str(err.value)


def test_groups_by_year_within_city_and_city_within_year(corpus):
    docs = corpus.documents
    by_city_year = groups_by(docs, ["city", "year"])
    assert by_city_year["city=青岛市,year=2021"] == ["qingdao-2021"]
    assert by_city_year["city=青岛市,year=2024"] == ["qingdao-2024"]
    assert len(by_city_year) == 5
    by_year = groups_by(docs, ["year"])
    assert by_year == {"year=2021": ["qingdao-2021"], "year=2024": ["qingdao-2024", "chizhou-2024", "xian-2024", "wanzhou-2024"]}
    for label, ids in by_city_year.items():
        assert select_documents(docs, label) == ids
    with pytest.raises(InputError, match="unknown field 'town'"):
        groups_by(docs, ["town"])
