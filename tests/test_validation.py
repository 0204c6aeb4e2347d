"""The researcher's validation workflow: ``sample`` items for hand coding, ``validate`` the codes, report section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from analysis.cli import main
from analysis.errors import InputError
from analysis.methods import sampling, validation
from analysis.store import read_table
from conftest import REPO

HELD_OUT = REPO / "tests" / "data" / "validation"

# --------------------------------------------------------------------------- constructed runs


def _run(coder: str, model: str, confidence: list[float] | None = None):
    """A constructed theme run of ``len(model)`` items (themes ``A``/``B``…, ids 1, 2…) and the coder's labels."""
    ids = [f"doc-{i:04d}" for i in range(len(model))]
    names = sorted(set(model) | set(coder))
    themes = pd.DataFrame({"theme_id": range(1, len(names) + 1), "theme_label": names})
    item_themes = pd.DataFrame({"doc_id": "doc", "item_id": ids, "theme_id": [names.index(t) + 1 for t in model],
                                "theme_label": list(model), "distance": 0.5})  # fmt: skip
    if confidence is not None:
        item_themes["confidence"] = confidence
    labels = pd.DataFrame({"row": range(2, len(ids) + 2), "item_id": ids, "code": list(coder)})
    return labels, item_themes, themes


def test_kappa_nmi_ari_match_the_hand_computation():
    # 10 items, coder × model table (rows coder, columns model):
    #           A  B
    #      A  [ 5  1 ]   coder: A 6, B 4     model: A 6, B 4
    #      B  [ 1  3 ]
    # accuracy p_o = (5 + 3) / 10 = 0.8
    # chance   p_e = 0.6·0.6 + 0.4·0.4 = 0.52  ->  κ = (0.8 − 0.52) / (1 − 0.52) = 0.28 / 0.48 = 0.58333
    # MI = Σ p_ij ln(p_ij / (p_i p_j)) = 0.5 ln(0.5/0.36) + 2 · 0.1 ln(0.1/0.24) + 0.3 ln(0.3/0.16)
    #    = 0.164252 − 0.175094 + 0.188583 = 0.177741
    # H(coder) = H(model) = −(0.6 ln 0.6 + 0.4 ln 0.4) = 0.673012  ->  NMI = MI / mean(H) = 0.264098
    # ARI: Σ C(n_ij, 2) = 10 + 0 + 0 + 3 = 13; rows and columns Σ C(n, 2) = 15 + 6 = 21; C(10, 2) = 45;
    #      expected 21 · 21 / 45 = 9.8  ->  ARI = (13 − 9.8) / (21 − 9.8) = 0.285714
    # A: precision 5/6 (model's 6 A), recall 5/6 (coder's 6 A); B: precision 3/4, recall 3/4.
    labels, item_themes, themes = _run("AAAAAABBBB", "AAAAABABBB")
    result = validation.validate(labels, item_themes, themes)
    f = result.figures
    assert f["n"] == 10 and f["n_blank"] == 0 and f["accuracy"] == 0.8
    assert f["kappa"] == pytest.approx(0.58333, abs=1e-4)
    assert f["nmi"] == pytest.approx(0.264098, abs=1e-4)
    assert f["ari"] == pytest.approx(0.285714, abs=1e-4)
    assert f["per_theme"]["A"] == {"precision": 0.8333, "recall": 0.8333, "f1": 0.8333, "support": 6, "predicted": 6}
    assert f["per_theme"]["B"]["precision"] == 0.75 and f["per_theme"]["B"]["support"] == 4
    assert result.confusion.loc["A"].tolist() == [5, 1] and result.confusion.loc["B"].tolist() == [1, 3]
    lo, hi = f["intervals"]["kappa"]
    assert lo < f["kappa"] < hi and f["intervals"]["accuracy"][0] < 0.8 < f["intervals"]["accuracy"][1]
    assert validation.validate(labels, item_themes, themes).figures == f


def test_kappa_agrees_with_scikit_learn_on_an_uneven_table():
    coder, model = "AAABBBCCCCAB", "ABCBBBCCAACB"
    labels, item_themes, themes = _run(coder, model)
    assert validation.validate(labels, item_themes, themes).figures["kappa"] == pytest.approx(cohen_kappa_score(list(coder), list(model)), abs=1e-4)


def test_codes_by_id_other_and_blank_and_confidence():
    # model: A A B B ; coder writes id 1 (= A), "a"-less name B, 其他（未归类） and leaves one blank
    labels, item_themes, themes = _run("AAAB", "AABB", confidence=[0.9, 0.4, 0.8, 0.7])
    labels["code"] = ["1", "其他(未归类)", "", "B"]
    result = validation.validate(labels, item_themes, themes)
    f = result.figures
    assert f["n"] == 3 and f["n_blank"] == 1 and f["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert list(result.items.coder) == ["A", sampling.OTHER, "B"]
    assert f["mean_confidence"] == {"agree": 0.8, "disagree": 0.4}
    assert f["per_theme"][sampling.OTHER] == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}
    assert result.disagreements().item_id.tolist() == ["doc-0001"]


def test_unknown_ids_and_codes_are_named_in_one_error():
    labels, item_themes, themes = _run("AB", "AB")
    labels.loc[len(labels)] = [4, "nowhere-0001", "A"]
    labels.loc[len(labels)] = [5, "doc-0000", "Z"]
    labels = labels.drop(index=0).reset_index(drop=True)  # doc-0000 once
    with pytest.raises(InputError) as err:
        validation.validate(labels, item_themes, themes, source="codes.csv")
    message = str(err.value)
    assert message.startswith("codes.csv: ") and "\n" not in message
    assert "1 item id(s) not in item_themes.csv: nowhere-0001" in message and "1 code(s)" in message and ": Z" in message


# --------------------------------------------------------------------------- sampling


def test_allocate_is_proportional_with_one_per_stratum():
    # sizes 60, 30, 9, 1 and n = 20: one each first, then 16 over the remaining 59, 29, 8, 0 in proportion:
    # 9.83, 4.83, 1.33, 0 -> floors 9, 4, 1, 0 (14) and the 2 largest remainders (themes 1 and 2) get one more.
    assert sampling.allocate([60, 30, 9, 1], 20, minimum=1).tolist() == [11, 6, 2, 1]
    assert sampling.allocate([3, 2], 10).tolist() == [3, 2]  # never more than a stratum holds
    assert sampling.allocate([5, 5, 5], 2, minimum=1).tolist() == [1, 1, 0]  # too few for one each: plain shares


def test_sample_is_stratified_by_theme_and_document_and_seeded():
    # theme 1: 40 items in d1, 20 in d2; theme 2: 30 in d1; theme 3: 9 in d2; theme 4: 1 in d1 (100 items)
    cells = [(1, "d1", 40), (1, "d2", 20), (2, "d1", 30), (3, "d2", 9), (4, "d1", 1)]
    rows = [(doc, f"{doc}-{theme}-{i:03d}", theme) for theme, doc, k in cells for i in range(k)]
    item_themes = pd.DataFrame(rows, columns=["doc_id", "item_id", "theme_id"])
    sample = sampling.sample_items(item_themes, 20, random_state=3)
    counts = sample.groupby(["theme_id", "doc_id"]).size().to_dict()
    # themes get 11, 6, 2, 1 (see above); theme 1's 11 split 40:20 -> 7.33, 3.67 -> 7 and 4
    assert counts == {(1, "d1"): 7, (1, "d2"): 4, (2, "d1"): 6, (3, "d2"): 2, (4, "d1"): 1}
    assert sample.item_id.is_unique and sample.item_id.is_monotonic_increasing
    assert sample.equals(sampling.sample_items(item_themes, 20, random_state=3))
    assert not set(sample.item_id) == set(sampling.sample_items(item_themes, 20, random_state=4).item_id)


def test_codebook_reads_definitions_when_the_lexicon_has_them(tmp_path):
    lexicon = tmp_path / "themes.yml"
    lexicon.write_text(
        "themes:\n  - name: 妇幼健康\n    seeds: [孕产妇]\n    definition: 妇女儿童的健康服务\n"
        "    include: [孕产妇保健, 出生缺陷防治]\n    exclude: 托育服务归人口与托育\n  - name: 中医药\n    seeds: [中医]\n",
        encoding="utf-8",
    )
    themes = pd.DataFrame({"theme_id": [1, 2, 3], "theme_label": ["妇幼健康", "中医药", "托位·托育"],
                           "lexicon_theme": ["妇幼健康", "中医药", ""], "top_terms": ["孕产妇;儿童", "中医", "托位;托育"]})  # fmt: skip
    book = sampling.codebook(themes, lexicon)
    assert list(book.columns) == sampling.CODEBOOK_COLUMNS
    assert book.iloc[0, 2:5].tolist() == ["妇女儿童的健康服务", "孕产妇保健；出生缺陷防治", "托育服务归人口与托育"]
    assert book.iloc[1, 2:5].tolist() == ["", "", ""] and book.iloc[2, 5] == "托位、托育"
    assert book.iloc[-1, 1] == sampling.OTHER


# --------------------------------------------------------------------------- commands on the seed corpus


def test_sample_command_writes_a_blind_deterministic_workbook(themed, tmp_path, capsys):
    from openpyxl import load_workbook

    first, second = tmp_path / "a" / "coding.xlsx", tmp_path / "b" / "coding.xlsx"
    for out in (first, second):
        assert main(["sample", "--processed", str(themed), "--n", "40", "--seed", "7", "--out", str(out)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert "sampled 40 items (seed 7)" in capsys.readouterr().out
    book = load_workbook(first)
    assert book.sheetnames == ["coding", "codebook"]
    sheet = book["coding"]
    header = [c.value for c in sheet[1]]
    assert header == sampling.CODING_COLUMNS and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 40 and all(r[header.index("code")] is None for r in rows)
    assert sheet.cell(2, header.index("事项") + 1).alignment.wrap_text
    item_themes = read_table(themed, "item_themes", step="themes")
    sampled = item_themes[item_themes.item_id.isin([r[0] for r in rows])]
    # every theme of the run is in the sample, and every document; nothing of the model's theme is shown
    assert set(sampled.theme_id) == set(item_themes.theme_id) and sampled.doc_id.nunique() == 5
    shown = {str(v) for r in rows for v in r if v is not None}
    assert not shown & set(item_themes.theme_label)
    assert {r[1] for r in rows} <= {"青岛市 2024", "青岛市 2021", "池州市 2024", "西安市 2024", "万州区 2024"}
    codebook = [r for r in book["codebook"].iter_rows(min_row=2, values_only=True)]
    assert [r[1] for r in codebook] == read_table(themed, "themes", step="themes").theme_label.tolist() + [sampling.OTHER]


def test_sample_command_writes_csv_with_bom_only(themed, tmp_path):
    out = tmp_path / "csv" / "coding.csv"
    assert main(["sample", "--processed", str(themed), "--n", "10", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfitem_id,")
    assert [p.name for p in out.parent.iterdir()] == ["coding.csv"]
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(frame) == 10 and (frame.code == "").all()


def test_validate_round_trip_from_the_sampled_workbook(themed, tmp_path, capsys):
    from openpyxl import load_workbook

    coding = tmp_path / "coding.xlsx"
    assert main(["sample", "--processed", str(themed), "--n", "30", "--out", str(coding)]) == 0
    item_themes = read_table(themed, "item_themes", step="themes").set_index("item_id")
    themes = read_table(themed, "themes", step="themes")
    book = load_workbook(coding)
    sheet = book["coding"]
    # the coder agrees with the model on rows 2–21, by name; on rows 22–26 by theme id; writes another theme
    # on rows 27–29 and leaves rows 30–31 blank: 25 agree of 28 coded
    for r in range(2, 32):
        model = item_themes.loc[sheet.cell(r, 1).value]
        other = themes.theme_label[themes.theme_label != model.theme_label].iloc[0]
        sheet.cell(r, 5).value = (model.theme_label if r < 22 else int(model.theme_id) if r < 27 else other if r < 30 else None)
    book.save(coding)
    out = tmp_path / "validation"
    assert main(["validate", "--processed", str(themed), "--labels", str(coding), "--out", str(out)]) == 0
    figures = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert figures["n"] == 28 and figures["n_blank"] == 2 and figures["accuracy"] == round(25 / 28, 4)
    assert {"n", "kappa", "accuracy", "nmi", "ari", "per_theme"} <= set(figures)
    assert all(set(s) >= {"precision", "recall", "f1", "support"} for s in figures["per_theme"].values())
    assert sum(s["support"] for s in figures["per_theme"].values()) == 28
    confusion = pd.read_csv(out / "confusion.csv", index_col="coder")
    assert confusion.to_numpy().sum() == 28 and np.trace(confusion.to_numpy()) == 25
    assert list(confusion.index) == list(confusion.columns) and set(confusion.index) <= {*themes.theme_label, "其他（未归类）"}
    printed = capsys.readouterr().out
    assert "n=28 coded items" in printed and "2 blank" in printed and len(printed.splitlines()) <= 25
    before = (out / "validation.json").read_bytes()
    assert main(["validate", "--processed", str(themed), "--labels", str(coding), "--out", str(out)]) == 0
    assert (out / "validation.json").read_bytes() == before


BAD_LABELS = {
    "unknown ids": ("item_id,code\nqingdao-2024-0001,党建与行风\nqingdao-2024-9999,党建与行风\nmars-2030-0001,党建与行风\n",
                    ["2 item id(s) not in item_themes.csv", "qingdao-2024-9999", "mars-2030-0001"]),
    "unknown codes": ("item_id,code\nqingdao-2024-0001,火星医疗\nqingdao-2024-0002,99\n",
                      ["2 code(s)", "火星医疗", "99"]),
    "empty file": ("", ["is empty"]),
    "header only": ("item_id,code\n", ["has no rows"]),
    "missing column": ("item_id,theme\nqingdao-2024-0001,党建与行风\n", ["missing column code", "found: item_id, theme"]),
    "duplicate ids": ("item_id,code\nqingdao-2024-0001,党建与行风\nqingdao-2024-0002,中医药\nqingdao-2024-0001,中医药\n",
                      ["1 duplicate item id(s)", "qingdao-2024-0001 (rows 2, 4)"]),
    "nothing coded": ("item_id,code\nqingdao-2024-0001,\n", ["none of the 1 rows has a code yet"]),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_LABELS)
def test_validate_rejects_bad_labels_with_one_line_and_writes_nothing(themed, tmp_path, capsys, case):
    text, expected = BAD_LABELS[case]
    labels = tmp_path / "codes.csv"
    labels.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["validate", "--processed", str(themed), "--labels", str(labels), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {labels}: ")
    for part in expected:
        assert part in err, (case, err)
    assert not out.exists()


def test_validate_rejects_an_xlsx_without_the_code_column(themed, tmp_path, capsys):
    labels = tmp_path / "codes.xlsx"
    pd.DataFrame({"item_id": ["qingdao-2024-0001"], "主题": ["党建与行风"]}).to_excel(labels, index=False)
    assert main(["validate", "--processed", str(themed), "--labels", str(labels), "--out", str(tmp_path / "out")]) == 2
    assert "codes.xlsx: missing column code" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_held_out_plan_coded_before_the_model_ran(tmp_path):
    # tests/data/validation: an invented plan (云溪市 2025, 36 items) the lexicon's author never saw, coded
    # item by item from the theme names while it was written, before any model output was seen. When the
    # codebook split 安全生产与综合保障 and added 区域协同与对外合作, items 35 and 36 were recoded by those
    # definitions (35 → 安全生产与信访稳定, 36 → 区域协同与对外合作; 36 had been 其他（未归类）).
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(REPO / "data" / "raw", raw)
    shutil.copy(HELD_OUT / "yunxi_2025_work_plan.txt", raw)
    with (raw / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write((HELD_OUT / "manifest.csv").read_text(encoding="utf-8").splitlines()[1] + "\n")
    processed = tmp_path / "processed"
    assert main(["ingest", "--raw", str(raw), "--out", str(processed)]) == 0
    assert main(["themes", "--processed", str(processed)]) == 0
    result = validation.validate_folder(processed, HELD_OUT / "codes.csv")
    assert result.figures["n"] == 36 and result.figures["n_documents"] == 1
    assert result.figures["accuracy"] >= 0.8 and result.figures["kappa"] >= 0.8


# --------------------------------------------------------------------------- report section


def test_report_view_speaks_chinese_with_n_and_method(themed, tmp_path):
    from analysis.report import validation_view

    item_themes = read_table(themed, "item_themes", step="themes").iloc[:12]
    flipped = item_themes.theme_label.where(item_themes.index % 4 != 0, "中医药")  # items 0, 4, 8 differ unless already 中医药
    labels = tmp_path / "codes.csv"
    pd.DataFrame({"item_id": item_themes.item_id, "code": flipped}).to_csv(labels, index=False)
    result = validation.validate_folder(themed, labels)
    n_wrong = int((flipped != item_themes.theme_label).sum())
    lines = validation_view.findings(result, labels)
    assert lines[0].startswith(f"编码员与模型一致的事项占 {(12 - n_wrong) / 12:.0%}（n=12 条事项") and "Cohen's κ" in lines[1]
    table = validation_view.disagreement_table(result, themed)
    assert len(table) == n_wrong and set(table["文件"]) <= {"青岛市 2024", "青岛市 2021", "池州市 2024", "西安市 2024", "万州区 2024"}
    assert not any(v in ("True", "False") for v in validation_view.figures_table(result).to_numpy().ravel().astype(str))
    fig = validation_view.confusion_chart(result.confusion)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "模型主题" and [t.get_text() for t in ax.get_yticklabels()] == list(result.confusion.index)


@pytest.mark.slow
def test_themes_notebook_shows_the_validation_section_only_with_labels(themed, tmp_path):
    import nbformat
    import papermill

    source = REPO / "notebooks" / "02_themes.ipynb"
    labels = tmp_path / "codes.csv"
    item_themes = read_table(themed, "item_themes", step="themes")
    pd.DataFrame({"item_id": item_themes.item_id[:20], "code": item_themes.theme_label[:20]}).to_csv(labels, index=False)
    out = tmp_path / "02_themes.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"processed": str(themed), "labels": str(labels)},
                               cwd=str(REPO / "notebooks"), progress_bar=False)  # fmt: skip
    cells = nbformat.read(out, as_version=4).cells
    outputs = [o for o in cells[-1].get("outputs", [])]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "人工编码检验" in html and "编码员与模型一致的事项占 100%（n=20 条事项" in html
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1
    assert not [o for c in cells for o in c.get("outputs", []) if o.output_type == "error" or o.get("name") == "stderr"]
