"""Per-plan profile: intervals with known answers, a constructed corpus, and the notebook on the seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.errors import InputError
from analysis.methods import plan_profile
from analysis.methods.plan_profile import PlanData, newcombe, wilson

REPO = Path(__file__).resolve().parents[1]


def test_wilson_matches_published_values_and_handles_zero():
    low, high = wilson(np.array([0, 81]), np.array([10, 263]))
    # Newcombe (1998), Table I: 0/10 -> 0 to 0.2775; 81/263 -> 0.2553 to 0.3662
    assert low == pytest.approx([0.0, 0.2553], abs=1e-4)
    assert high == pytest.approx([0.2775, 0.3662], abs=1e-4)
    assert wilson(np.array([0]), np.array([0])) == (pytest.approx([0.0]), pytest.approx([1.0]))


def test_newcombe_matches_published_example():
    # Newcombe (1998), Table II example (a): 56/70 - 48/80 = 0.20, hybrid score interval 0.0524 to 0.3339
    low, high = newcombe(np.array([56]), np.array([70]), np.array([48]), np.array([80]))
    assert low[0] == pytest.approx(0.0524, abs=1e-4)
    assert high[0] == pytest.approx(0.3339, abs=1e-4)
    # identical groups: interval symmetric around 0
    low, high = newcombe(np.array([5]), np.array([20]), np.array([5]), np.array([20]))
    assert low[0] == pytest.approx(-high[0]) and low[0] < 0


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
    assert profile.loc[1, "diff_low"] > 0
    shown = plan_profile.profile_display(profile.reset_index())
    assert set(shown["区间不含 0"]) == {"是"}  # theme 2 is the mirror image: -70 pp


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
def profile_dir(tmp_path_factory, processed) -> Path:
    """The seed tables with themes and targets run."""
    out = tmp_path_factory.mktemp("profile")
    for name in ("documents", "items", "sentences"):
        shutil.copy(processed / f"{name}.csv", out)
    assert cli.main(["themes", "--processed", str(out)]) == 0
    assert cli.main(["targets", "--processed", str(out)]) == 0
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
    text = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(out, 4).cells for o in c.get("outputs", []))
    assert "万州区 2024 文件画像" in text and "医政科" in text and "wanzhou-2024-" not in text
