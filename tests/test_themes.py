"""Themes on the real seed corpus: tables, agreement with the check set (in-sample and held out), command, notebook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.methods import theme_report, themes
from analysis.methods.theme_eval import agreement
from analysis.methods.theme_holdout import leave_one_plan_out, read_reference
from analysis.methods.theme_lexicon import OTHER, codebook_table, load_lexicon
from analysis.store import read_table
from conftest import REPO

CHECKSET = read_reference(pd.read_csv(Path(__file__).parent / "data" / "theme_checkset.csv", dtype=str))


@pytest.fixture(scope="module")
def result(corpus):
    return themes.find_themes(corpus.items, corpus.documents)


def test_tables_have_the_documented_columns(result, corpus):
    assert list(result.item_themes.columns) == themes.ITEM_THEME_COLUMNS
    assert list(result.themes.columns) == themes.THEME_COLUMNS
    assert len(result.item_themes) == 198 and list(result.item_themes.item_id) == list(corpus.items.item_id)
    assert list(result.themes.theme_id) == list(range(1, len(result.themes) + 1)) and result.themes["size"].is_monotonic_decreasing
    assert result.themes["size"].sum() + (result.item_themes.theme_id == 0).sum() == 198
    assert result.item_themes.confidence.between(0, 1).all()
    assert set(result.item_themes.evidence) <= set(themes.EVIDENCE)
    other = result.item_themes[result.item_themes.theme_id == 0]
    assert (other.theme_label == OTHER).all() and (other.confidence < 0.5).all()
    assigned = result.item_themes[result.item_themes.theme_id > 0]
    assert (assigned.confidence >= 0.5).all()


def test_guided_themes_are_the_lexicon_themes(result):
    lexicon = {t.name for t in load_lexicon()}
    assert set(result.themes.theme_label) <= lexicon and len(result.themes) >= 15
    assert (result.themes.lexicon_theme == result.themes.theme_label).all()
    terms = dict(zip(result.themes.theme_label, result.themes.top_terms.str.split(";")))
    assert {"中医药", "中医"} <= set(terms["中医药"][:3])
    for row in result.themes.itertuples():  # representatives: the theme's most confident items
        ids = row.representative_item_ids.split(";")
        conf = result.item_themes.set_index("item_id").loc[ids]
        assert (conf.theme_id == row.theme_id).all()
        rest = result.item_themes[(result.item_themes.theme_id == row.theme_id) & ~result.item_themes.item_id.isin(ids)]
        assert rest.empty or conf.confidence.min() >= rest.confidence.max()


def test_agreement_with_the_check_set_in_sample(result):
    assert len(CHECKSET) == 198
    scores = agreement(result.item_themes, CHECKSET)
    # in-sample: the lexicon and the check set were written from these plans (docs/themes.md)
    assert scores["n"] == 198 and scores["accuracy"] >= 0.88 and scores["nmi"] >= 0.87 and scores["ari"] >= 0.78


def test_leave_one_plan_out_agreement(corpus):
    per_plan, summary = leave_one_plan_out(corpus.items, corpus.documents, CHECKSET)
    assert list(per_plan.doc_id) == sorted(corpus.items.doc_id.unique()) and per_plan.n.sum() == 198
    assert (per_plan.dropped_terms > 0).all()
    pooled = summary["pooled"]
    assert pooled["held_out_accuracy"] >= 0.78 and pooled["held_out_nmi"] >= 0.78
    assert pooled["held_out_accuracy"] < pooled["in_sample_accuracy"]  # the lexicon knows the seed plans
    assert pooled["held_out_weak_n"] > pooled["in_sample_weak_n"]  # held out, more items lack a clear keyword


def test_quality_bar_stability_and_document_concentration(result):
    diag = result.diagnostics
    assert diag["stability"]["seeds"] == [0, 1, 2] and diag["stability"]["mean_ari"] >= 0.95
    assert diag["resample_stability"]["mean_ari"] >= 0.9
    assert diag["seeds_not_tokens"] == []
    assert diag["keyword_units"] + diag["words_units"] + diag["no_content_units"] == 198
    big = result.themes[result.themes["size"] >= 5]
    assert (big.top_doc_share <= 0.8).all() and (big.n_docs >= 3).all()


def test_report_tables_name_documents_not_ids(result, corpus):
    shares = theme_report.theme_document_shares(result)
    assert list(shares.columns) == ["青岛市 2024", "池州市 2024", "青岛市 2021", "西安市 2024", "万州区 2024"]
    assert np.allclose(shares.sum(axis=0), 1.0) and shares.index[0] == result.themes.theme_label.iloc[0]
    other = theme_report.other_shares(result)
    assert other["事项数 n"].sum() == 198 and other["其他 事项数"].sum() == (result.item_themes.theme_id == 0).sum()
    low = theme_report.low_confidence_items(result, corpus.items, n=5)
    assert len(low) == 5 and list(low["置信度"]) == sorted(low["置信度"]) and not low["文件"].str.contains("-20").any()
    assert "-20" not in "".join(theme_report.theme_table(result)["最大来源文件"])
    assert theme_report.themes_named(result).top_doc.isin(shares.columns).all()
    findings = theme_report.key_findings(result)
    assert "198 条事项" in findings[0] and "疾病预防控制" in findings[0]
    assert not any(word in "".join(findings) for word in ("ARI", "NMI", "兰德", "轮廓"))
    book = codebook_table(result.lexicon)
    assert len(book) == len(result.lexicon) and book["定义"].str.len().gt(0).all()
    assert len(theme_report.representative_items(result, corpus.items)) == result.themes["size"].clip(upper=3).sum()


def test_discovery_mode_on_the_seed_corpus(corpus):
    res = themes.find_themes(corpus.items, corpus.documents, mode="discovery", k=16, stability_seeds=2)
    diag = res.diagnostics
    assert diag["k"] == 16 and diag["stability"]["mean_ari"] >= 0.8  # two disjoint sets of 60 NMF starts
    assert agreement(res.item_themes, CHECKSET)["nmi"] >= 0.6  # measured 0.62 (docs/themes.md)
    assert res.themes.lexicon_theme.isin(["", *[t.name for t in res.lexicon]]).all()


def test_sentence_unit(corpus):
    res = themes.find_themes(corpus.items, corpus.documents, corpus.sentences, unit="sentence", stability_seeds=1)
    tables = res.tables()
    assert list(tables["sentence_themes"].columns) == themes.SENTENCE_THEME_COLUMNS
    assert len(tables["sentence_themes"]) == len(corpus.sentences)
    assert len(tables["item_themes"]) == 198 and tables["item_themes"].item_id.is_unique
    empty = tables["sentence_themes"][tables["sentence_themes"].evidence == "none"]
    assert "统筹做好其他工作。" in set(corpus.sentences.set_index("sentence_id").loc[empty.sentence_id, "text"])
    assert (empty.theme_label == OTHER).all()
    assert agreement(tables["item_themes"], CHECKSET)["accuracy"] >= 0.7


# --------------------------------------------------------------------------- command and notebook


def test_command_writes_deterministic_outputs(themed, processed, tmp_path):
    again = tmp_path / "again"
    assert main(["themes", "--processed", str(processed), "--out", str(again)]) == 0
    for name in ("item_themes.csv", "themes.csv", "theme_probabilities.csv", "theme_candidates.csv", "theme_diagnostics.json"):
        assert (themed / name).read_bytes() == (again / name).read_bytes(), name
    item_themes = read_table(themed, "item_themes", step="themes")
    assert item_themes.item_id.dtype == object and item_themes.theme_id.dtype == np.int64
    diag = json.loads((themed / "theme_diagnostics.json").read_text(encoding="utf-8"))
    assert diag["k"] == len(read_table(themed, "themes", step="themes")) and diag["parameters"]["threshold"] == 0.5


def test_trained_command_cross_validates_and_rejects_bad_labels(processed, tmp_path, capsys):
    labels = tmp_path / "codes.csv"
    CHECKSET.rename(columns={"theme": "code"}).to_csv(labels, index=False)
    out = tmp_path / "trained"
    assert main(["themes", "--processed", str(processed), "--out", str(out), "--mode", "trained", "--labels", str(labels)]) == 0
    cv = json.loads((out / "theme_diagnostics.json").read_text(encoding="utf-8"))["cross_validation"]
    assert cv["n"] == 198 and cv["n_plans"] == 5 and cv["accuracy"] >= 0.7
    assert "leave-one-plan-out on 198 coded items" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,code\nxian-2024-0001,党建与行风\nnope-1,中医药\n", encoding="utf-8")
    assert main(["themes", "--processed", str(processed), "--out", str(tmp_path / "none"), "--mode", "trained", "--labels", str(bad)]) == 2
    assert "bad.csv: 1 item ids not in the corpus, e.g. nope-1" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert main(["themes", "--processed", str(processed), "--mode", "trained"]) == 2
    assert main(["themes", "--processed", str(processed), "--k", "5"]) == 2
    assert "--k 5 applies to --mode discovery" in capsys.readouterr().err


def test_command_rejects_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["themes", "--k", "one"])
    assert exc.value.code == 2
    assert main(["themes", "--processed", str(tmp_path)]) == 2
    assert "documents.csv: not found; run `python -m analysis ingest`" in capsys.readouterr().err


def test_lexicon_errors(tmp_path):
    (tmp_path / "dup.yml").write_text("themes:\n  - {name: 中医药, seeds: [中医]}\n  - {name: 中医药, seeds: [中药]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        load_lexicon(tmp_path / "dup.yml")
    (tmp_path / "bad.yml").write_text("themes: [{name: 中医药}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.yml: theme 1 needs"):
        load_lexicon(tmp_path / "bad.yml")
    (tmp_path / "notes.yml").write_text("themes: [{name: 中医药, seeds: [中医], include: {a: 1}}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="'include' must be a list"):
        load_lexicon(tmp_path / "notes.yml")
    (tmp_path / "ok.yml").write_text("themes: [{name: 中医药, seeds: [中医], definition: 中医药服务, include: [中医馆]}]\n", encoding="utf-8")
    [theme] = load_lexicon(tmp_path / "ok.yml")
    assert theme.definition == "中医药服务" and theme.include == ("中医馆",) and theme.exclude == ()


@pytest.mark.slow
def test_notebook_runs_from_the_notebooks_folder(themed, tmp_path):
    import nbformat
    import papermill

    source = REPO / "notebooks" / "02_themes.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in committed.cells if c.cell_type == "code")
    assert sum("parameters" in c.metadata.get("tags", []) for c in committed.cells) == 1
    out = tmp_path / "02_themes.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"processed": str(themed)}, cwd=str(REPO / "notebooks"),
                               progress_bar=False)  # fmt: skip
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "key-findings" in html and "疾病预防控制" in html and "method-notes" in html
    assert "青岛市 2024" in html and "包括" in html and "置信度" in html and OTHER in html
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4
