"""Per-plan profile: intervals with known answers, a constructed corpus, and the notebook on the seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.errors import InputError
from analysis.methods import plan_profile
from analysis.methods.continuity import match_items
from analysis.methods.plan_continuity import COLUMNS, plan_continuity
from analysis.methods.plan_profile import PlanData
from analysis.store import read_table, write_tables
from analysis.text.tokenize import Tokenizer

REPO = Path(__file__).resolve().parents[1]


def _tiny_corpus() -> PlanData:
    """Three invented plans: A 2024 (10 items, 8 on theme 1), B 2024 (10 items, 1 on theme 1), A 2023."""
    docs = pd.DataFrame(
        {
            "doc_id": ["a-2024", "b-2024", "a-2023"], "city": ["甲市", "乙市", "甲市"], "year": [2024, 2024, 2023],
            "doc_type": ["work_plan"] * 3, "title": ["甲市2024年卫生健康工作要点", "乙市2024年卫生健康工作要点", "甲市2023年卫生健康工作要点"],
        }
    )  # fmt: skip
    rows, themes = [], []
    for doc, n1, n in (("a-2024", 8, 10), ("b-2024", 1, 10), ("a-2023", 2, 4)):
        for i in range(n):
            item_id = f"{doc}-{i:04d}"
            dept = "医政科；疾控科" if doc == "a-2024" and i < 3 else ("疾控科" if doc == "a-2024" and i < 5 else "")
            rows.append({"doc_id": doc, "item_id": item_id, "text": f"加强第{i}项基层卫生工作。", "departments": dept})
            theme = (1, "基层卫生") if i < n1 else (2, "疾病预防控制")
            themes.append({"doc_id": doc, "item_id": item_id, "theme_id": theme[0], "theme_label": theme[1]})
    targets = pd.DataFrame(
        {
            "doc_id": ["a-2024"] * 3, "indicator": ["家庭医生签约率", "家庭医生签约率", "床位数"], "value": ["80", "75", "3"],
            "unit": ["%", "%", "张"], "comparator": ["≥", "≥", "="], "deadline": ["", "", ""], "quote": ["q1", "q2", "q3"],
            "is_benchmark": [False, False, False], "status": ["target", "achieved", "target"],
        }
    )  # fmt: skip
    return PlanData("a-2024", docs, pd.DataFrame(rows), pd.DataFrame(themes), targets)


def test_theme_profile_against_same_year_peers():
    data = _tiny_corpus()
    assert data.peers == ["b-2024"] and data.previous == "a-2023"
    profile = plan_profile.theme_profile(data).set_index("theme_id")
    assert profile.loc[1, ["n_items", "n_total", "peer_items", "peer_total"]].tolist() == [8, 10, 1, 10]
    assert profile.loc[1, "share"] == 80.0 and profile.loc[1, "peer_share"] == 10.0
    assert profile.loc[1, "diff_pp"] == 70.0 and profile.loc[1, "significant"]
    assert profile.loc[1, "diff_low"] > 0 and profile.loc[1, "q_value"] < 0.05
    shown = plan_profile.profile_display(profile.reset_index())
    assert set(shown["超出抽样误差"]) == {"是"}  # theme 2 is the mirror image: -70 pp


def test_identical_peers_give_no_finding():
    data = _tiny_corpus()
    twin = data.items[data.items.doc_id == "a-2024"].assign(doc_id="c-2024", item_id=lambda f: "c" + f.item_id)
    twin_themes = data.item_themes[data.item_themes.doc_id == "a-2024"].assign(doc_id="c-2024", item_id=lambda f: "c" + f.item_id)
    docs = pd.concat([data.documents, data.documents.iloc[[0]].assign(doc_id="c-2024", city="丙市")])
    same = PlanData("a-2024", docs[docs.doc_id != "b-2024"], pd.concat([data.items, twin]), pd.concat([data.item_themes, twin_themes]), data.targets)
    profile = plan_profile.theme_profile(same)
    assert (profile.diff_pp == 0).all() and not profile.significant.any() and (profile.q_value == 1).all()
    findings = plan_profile.key_findings(same, profile, plan_profile.plan_targets(same), plan_profile.department_counts(same), None)
    assert "没有哪个主题的占比差异超出抽样误差" in findings[0] and "丙市 2024" in findings[0]


def test_peer_label_names_at_most_four_plans():
    data = _tiny_corpus()
    assert data.peer_label == "同年其他文件（乙市 2024）"
    many = pd.concat([data.documents] + [data.documents.iloc[[1]].assign(doc_id=f"p{i}-2024", city=f"丙{i:03d}市") for i in range(300)])
    crowd = PlanData("a-2024", many, data.items, data.item_themes, data.targets)
    assert len(crowd.peers) == 301
    assert crowd.peer_label == "同年其他文件（乙市 2024、丙000市 2024、丙001市 2024 等 301 份）"
    profile = plan_profile.theme_profile(crowd)
    findings = plan_profile.key_findings(crowd, profile, plan_profile.plan_targets(crowd), plan_profile.department_counts(crowd), None)
    assert "其他文件（乙市 2024、丙000市 2024、丙001市 2024 等 301 份）" in findings[0] and "丙299市" not in findings[0]


def test_no_peers_and_no_difference():
    data = _tiny_corpus()
    alone = PlanData("a-2023", data.documents, data.items, data.item_themes, data.targets)
    profile = plan_profile.theme_profile(alone)
    assert alone.peers == [] and alone.previous is None
    assert profile.peer_share.isna().all() and not profile.significant.any()
    assert "本文件占比 %" in plan_profile.profile_display(profile).columns
    assert "差（百分点）" not in plan_profile.profile_display(profile).columns
    findings = plan_profile.key_findings(alone, profile, plan_profile.plan_targets(alone), plan_profile.department_counts(alone), None)
    assert findings[0].startswith("2023 年没有其他文件可比")


def test_targets_departments_and_findings():
    data = _tiny_corpus()
    targets = plan_profile.plan_targets(data)
    assert targets.target.tolist() == ["≥80%", "3张"]  # the achieved value is left out
    departments = plan_profile.department_counts(data)
    assert departments.set_index("department").n_items.to_dict() == {"疾控科": 5, "医政科": 3}
    cross = plan_profile.department_themes(data)
    assert cross.loc["疾控科", "基层卫生"] == 5
    profile = plan_profile.theme_profile(data)
    findings = plan_profile.key_findings(data, profile, targets, departments, None)
    assert "「基层卫生」80% 对 10%" in findings[0] and "a-2024" not in " ".join(findings)


def test_unknown_doc_id_is_one_clear_error(processed):
    with pytest.raises(InputError, match="doc_id 'nowhere-2024' not found; known: qingdao-2024"):
        plan_profile.load_plan_data(processed, "nowhere-2024")


@pytest.fixture(scope="module")
def profile_dir(tmp_path_factory, themed) -> Path:
    """The seed tables with themes (the session's themed copy) and the targets step run."""
    out = tmp_path_factory.mktemp("profile")
    shutil.copytree(themed, out, dirs_exist_ok=True)
    assert cli.main(["targets", "--processed", str(out)]) == 0
    assert cli.main(["profiles", "--processed", str(out)]) == 0
    return out


def test_seed_profile_with_continuity(profile_dir):
    data = plan_profile.load_plan_data(profile_dir, "qingdao-2024")
    assert data.label == "青岛市 2024" and data.previous == "qingdao-2021"
    assert sorted(data.peers) == ["chizhou-2024", "wanzhou-2024", "xian-2024"]
    profile = plan_profile.theme_profile(data)
    assert profile.n_items.sum() == 21 and profile.peer_total.iloc[0] == 166
    matches = plan_profile.continuity_with_previous(data)
    counts = plan_profile.continuity_counts(matches).set_index("status").n_items
    assert counts["延续"] + counts["改写延续"] + counts["新增"] == 21
    findings = plan_profile.key_findings(data, profile, plan_profile.plan_targets(data), plan_profile.department_counts(data), matches)
    assert any("青岛市 2021" in f for f in findings)


def test_notebook_renders_for_a_seed_plan(profile_dir, tmp_path):
    import nbformat
    import papermill

    out = tmp_path / "profile.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "06_plan_profile.ipynb"), str(out),
        parameters={"doc_id": "wanzhou-2024", "processed": str(profile_dir)}, cwd=str(REPO / "notebooks"), progress_bar=False,
    )  # fmt: skip
    outputs = [o for c in nbformat.read(out, 4).cells for o in c.get("outputs", [])]
    text = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "万州区 2024 文件画像" in text and "医政科" in text and "wanzhou-2024-" not in text
    assert sum("image/png" in o.get("data", {}) or "<img" in o.get("data", {}).get("text/html", "") for o in outputs) == 1


def test_continuity_table_has_the_known_matches():
    """Invented plans: one item repeated word for word, one new topic, one base item gone."""
    docs = pd.DataFrame({"doc_id": ["jia-2023", "jia-2024", "yi-2024"], "city": ["甲市", "甲市", "乙市"], "year": [2023, 2024, 2024]})
    texts = {
        "jia-2023": ["全面推进家庭医生签约服务，提高签约居民满意度。", "加强职业病危害因素监测，开展尘肺病患者随访。"],
        "jia-2024": ["全面推进家庭医生签约服务，提高签约居民满意度。", "建设区域中医药传承创新中心，推广中医适宜技术。"],
        "yi-2024": ["完善院前急救网络。"],
    }
    items = pd.DataFrame([{"doc_id": d, "item_id": f"{d}-{i}", "text": t} for d, ts in texts.items() for i, t in enumerate(ts)])
    table = plan_continuity(docs, items)
    assert list(table.columns) == COLUMNS and set(table.doc_id) == {"jia-2024"} and set(table.base_doc_id) == {"jia-2023"}
    by_item = table.set_index(["status", "compare_item_id"]).similarity
    assert by_item[("continued", "jia-2024-0")] == 1.0 and by_item[("new", "jia-2024-1")] < 0.15
    assert table[table.status == "dropped"].base_item_id.tolist() == ["jia-2023-1"]
    assert plan_continuity(docs[docs.doc_id != "jia-2023"], items).empty


def test_continuity_rows_equal_a_fit_on_the_two_plans(profile_dir):
    """The profile's continuity rows (read from plan_continuity.csv) are those of matching the two seed plans directly."""
    data = plan_profile.load_plan_data(profile_dir, "qingdao-2024")
    items = read_table(profile_dir, "items")
    base, compare = items[items.doc_id == "qingdao-2021"], items[items.doc_id == "qingdao-2024"]
    tokens = Tokenizer.for_documents(data.documents).tokenize_many([*base.text, *compare.text])
    direct = match_items(base, compare, tokens[: len(base)], tokens[len(base) :])
    shown = plan_profile.continuity_with_previous(data)
    pd.testing.assert_frame_equal(shown, direct.assign(status=direct.status.map(plan_profile.CONTINUITY_LABELS)))
    assert len(shown) > 21 and plan_profile.continuity_with_previous(plan_profile.load_plan_data(profile_dir, "xian-2024")) is None


def test_tables_are_read_once_until_the_file_changes(profile_dir, tmp_path):
    folder = tmp_path / "processed"
    shutil.copytree(profile_dir, folder)
    first, second = plan_profile.load_plan_data(folder, "qingdao-2024"), plan_profile.load_plan_data(folder, "xian-2024")
    assert second.items is first.items and second.item_themes is first.item_themes and second.plan_continuity is first.plan_continuity
    assert second.rows("items", ["xian-2024"]).equals(second.items[second.items.doc_id == "xian-2024"])
    write_tables({"items": first.items[first.items.doc_id != "wanzhou-2024"]}, folder)  # atomic rewrite: a new file
    third = plan_profile.load_plan_data(folder, "xian-2024")
    assert third.items is not first.items and "wanzhou-2024" not in set(third.items.doc_id)
    assert third.documents is first.documents


def test_missing_continuity_table_names_its_step(profile_dir, tmp_path):
    folder = tmp_path / "processed"
    shutil.copytree(profile_dir, folder)
    (folder / "plan_continuity.csv").unlink()
    with pytest.raises(InputError, match="plan_continuity.csv: not found; run `python -m analysis profiles` first"):
        plan_profile.load_plan_data(folder, "qingdao-2024")
    with pytest.raises(ValueError, match="without the plan_continuity table"):
        plan_profile.continuity_with_previous(_tiny_corpus())
