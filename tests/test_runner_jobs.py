"""Report jobs: templating over the documents table, names, notebook paths, scopes, the incremental rule, state.json."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import InputError
from analysis.report import runner
from analysis.report.jobs import load_jobs, safe_name
from analysis.report.state import DataDigests, load_state
from conftest import RAW, REPO, write_notebook

#: three places: 甲市 with plans in 2022 and 2024, 乙市 and 丙区 in 2024 only, 丁县 in 2023 only
DOCUMENTS = pd.DataFrame(
    {
        "doc_id": ["jia-2022", "jia-2024", "yi-2024", "bing-2024", "ding-2023"],
        "city": ["甲市", "甲市", "乙市", "丙区", "丁县"],
        "province": ["某省"] * 5,
        "year": [2022, 2024, 2024, 2024, 2023],
    }
)
TEMPLATED = """jobs:
  corpus: {notebook: nb/corpus.ipynb}
  profile-{doc_id}:
    for_each: document
    notebook: nb/profile.ipynb
    parameters: {doc_id: "{doc_id}"}
  shifts-{doc_id}-vs-rest:
    for_each: document
    where: [latest, has_peers]
    notebook: nb/shifts.ipynb
    parameters: {base: "year={year},city!={city}", compare: "year={year},city={city}"}
  shifts-{previous_doc_id}-to-{doc_id}:
    for_each: document
    where: [has_previous]
    depends_on: [place]
    notebook: nb/shifts.ipynb
    parameters: {base: "city={city},year={previous_year}", compare: "city={city},year={year}"}
  trend-{latest_doc_id}:
    for_each: city
    min_years: 2
    notebook: nb/corpus.ipynb
"""


def _config(tmp_path, text=TEMPLATED):
    path = tmp_path / "reports.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_templated_jobs_expand_over_documents_with_filters(tmp_path):
    jobs = {j.name: j for j in load_jobs(_config(tmp_path), DOCUMENTS)}
    assert list(jobs) == [
        "corpus",
        "profile-jia-2022", "profile-jia-2024", "profile-yi-2024", "profile-bing-2024", "profile-ding-2023",
        "shifts-jia-2024-vs-rest", "shifts-yi-2024-vs-rest", "shifts-bing-2024-vs-rest",  # ding-2023 has no peers that year
        "shifts-jia-2022-to-jia-2024",
        "trend-jia-2024",
    ]  # fmt: skip
    assert jobs["profile-yi-2024"].parameters == {"doc_id": "yi-2024"}
    assert jobs["shifts-yi-2024-vs-rest"].parameters == {"base": "year=2024,city!=乙市", "compare": "year=2024,city=乙市"}
    assert jobs["shifts-jia-2022-to-jia-2024"].parameters == {"base": "city=甲市,year=2022", "compare": "city=甲市,year=2024"}
    # scope: the plans of the same year (peer group) and of the same place; plain jobs depend on everything
    assert jobs["profile-yi-2024"].scope == ("bing-2024", "jia-2024", "yi-2024")
    assert jobs["profile-jia-2022"].scope == ("jia-2022", "jia-2024")
    assert jobs["trend-jia-2024"].scope == ("jia-2022", "jia-2024") and jobs["corpus"].scope is None


def test_templated_jobs_need_the_documents_and_known_fields(tmp_path):
    with pytest.raises(InputError, match="templated .* no documents table"):
        load_jobs(_config(tmp_path))
    bad = _config(tmp_path, "jobs:\n  p-{doc_id}:\n    for_each: document\n    notebook: a.ipynb\n    parameters: {x: '{town}'}\n")
    with pytest.raises(InputError, match="'town'.* fields: doc_id, city, province, year, previous_doc_id"):
        load_jobs(bad, DOCUMENTS)
    with pytest.raises(InputError, match="where.* latest"):
        load_jobs(_config(tmp_path, "jobs:\n  a: {notebook: a.ipynb, where: [latest]}\n"), DOCUMENTS)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("jobs:\n  index: {notebook: a.ipynb}\n", "report name 'index' is reserved"),
        ("jobs:\n  State: {notebook: a.ipynb}\n", "report name 'State' is reserved"),
        ("jobs:\n  a: {notebook: ../outside.ipynb}\n", "notebook '../outside.ipynb' is outside the repository"),
        ("jobs:\n  a: {notebook: /etc/x.ipynb}\n", "notebook '/etc/x.ipynb' is outside the repository"),
        ("jobs:\n  p-{city}:\n    for_each: city\n    notebook: a.ipynb\n  p-{doc_id}:\n    for_each: document\n    notebook: a.ipynb\n"
         "  p-甲市: {notebook: a.ipynb}\n", "job names must be unique; made more than once: p-甲市"),
    ],
)  # fmt: skip
def test_bad_names_and_paths_are_refused(tmp_path, text, reason):
    with pytest.raises(InputError, match=reason) as info:
        load_jobs(_config(tmp_path, text), DOCUMENTS)
    assert str(tmp_path / "reports.yml") in str(info.value)


def test_names_from_templates_are_filesystem_safe():
    assert safe_name("profile-a/b c:d") == "profile-a-b-c-d"
    long = safe_name("x" * 300)
    assert len(long) == 120 and long != safe_name("x" * 299) and long.startswith("x" * 100)


def _tables(folder, items_text):
    folder.mkdir(parents=True, exist_ok=True)
    DOCUMENTS.to_csv(folder / "documents.csv", index=False)
    items = pd.DataFrame({"doc_id": DOCUMENTS.doc_id, "text": [items_text.get(d, f"{d} 的事项") for d in DOCUMENTS.doc_id]})
    items.to_csv(folder / "items.csv", index=False)
    pd.DataFrame({"theme_id": [1], "theme_label": ["主题"]}).to_csv(folder / "themes.csv", index=False)


def test_incremental_rule_a_changed_plan_reruns_its_profile_peers_place_and_corpus(tmp_path):
    jobs = load_jobs(_config(tmp_path), DOCUMENTS)
    _tables(tmp_path / "p", {})
    before = DataDigests(tmp_path / "p")
    _tables(tmp_path / "p", {"yi-2024": "乙市 2024 的事项（修改）"})
    after = DataDigests(tmp_path / "p", before.to_dict())
    assert after.whole != before.whole
    changed = {j.name for j in jobs if before.of(j.scope) != after.of(j.scope)}
    assert changed == {
        "corpus",  # corpus-level
        "profile-yi-2024",  # its own profile
        "profile-jia-2024", "profile-bing-2024",  # same-year profiles: their peer group changed
        "shifts-jia-2024-vs-rest", "shifts-yi-2024-vs-rest", "shifts-bing-2024-vs-rest",  # comparisons within its year
    }  # fmt: skip
    # a table without doc_id (themes) concerns every job
    pd.DataFrame({"theme_id": [1], "theme_label": ["新主题"]}).to_csv(tmp_path / "p" / "themes.csv", index=False)
    renamed = DataDigests(tmp_path / "p", after.to_dict())
    assert all(renamed.of(j.scope) != after.of(j.scope) for j in jobs)


def test_cached_document_digests_are_reused_only_for_the_same_files(tmp_path):
    _tables(tmp_path / "p", {})
    first = DataDigests(tmp_path / "p")
    fake = {**first.to_dict(), "documents": {"yi-2024": "not a real hash"}}
    assert DataDigests(tmp_path / "p", fake).documents == {"yi-2024": "not a real hash"}  # same files: cache trusted
    _tables(tmp_path / "p", {"jia-2022": "变了"})
    assert DataDigests(tmp_path / "p", fake).documents["yi-2024"] == first.documents["yi-2024"]  # files changed: recomputed


@pytest.mark.parametrize(
    "content",
    ['{"jobs": {"a": {"status": "ok", "inputs": "oops"}}}', '{"jobs": [1, 2]}', "[]", "{not json", '{"jobs": {"a": {"status": "weird"}}}'],
)
def test_a_broken_state_file_is_set_aside_with_a_warning(tmp_path, capsys, content):
    (tmp_path / "state.json").write_text(content, encoding="utf-8")
    assert load_state(tmp_path) == {"jobs": {}, "data": {}}
    aside = list(tmp_path.glob("state.json.broken-*"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == content and not (tmp_path / "state.json").exists()
    assert "is not a valid report state; set aside as state.json.broken-" in capsys.readouterr().err


def test_a_valid_state_file_is_kept(tmp_path):
    state = {"jobs": {"a": {"status": "ok", "inputs": {"data": "x"}, "seconds": 1.5, "title": "标题"}}, "data": {"whole": "h"}}
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    assert load_state(tmp_path) == state


NEW_PLAN = """2022年临江市卫生健康工作要点

一、深化医药卫生体制改革
1.推进紧密型县域医共体建设，年底前覆盖全部县区。
2.完善分级诊疗制度，基层诊疗量占比达到65%。

二、提升公共卫生服务能力
3.加强疾病预防控制体系建设，完成市疾控中心改造。
4.做好老年人健康管理，65岁以上老年人健康管理率达到70%。
"""


def test_an_added_plan_of_a_new_place_gets_its_reports_without_config_edits(tmp_path):
    """End to end: `add` two plans of a new place, ingest, and run the shipped templates (stand-in notebooks)."""
    raw = shutil.copytree(RAW, tmp_path / "raw")
    for year in (2022, 2024):
        (raw / f"linjiang_{year}.txt").write_text(NEW_PLAN.replace("2022年", f"{year}年"), encoding="utf-8")
        assert main(["add", str(raw / f"linjiang_{year}.txt"), "--city", "临江市", "--year", str(year), "--province", "某省",
                     "--admin-level", "city", "--doc-type", "work_plan", "--doc-id", f"linjiang-{year}", "--raw", str(raw)]) == 0  # fmt: skip
    processed = tmp_path / "processed"
    assert main(["ingest", "--raw", str(raw), "--out", str(processed)]) == 0
    new = [d for d in pd.read_csv(processed / "documents.csv").doc_id if d.startswith("linjiang")]
    assert sorted(new) == ["linjiang-2022", "linjiang-2024"]
    # the shipped reports.yml, its notebooks replaced by stand-ins taking the same parameters
    project = tmp_path / "project"
    shipped = (REPO / "reports.yml").read_text(encoding="utf-8")
    (project / "notebooks").mkdir(parents=True)
    (project / "reports.yml").write_text(shipped, encoding="utf-8")
    for job in load_jobs(REPO / "reports.yml", processed):
        stand_in = project / job.notebook
        if not stand_in.exists():
            names = runner.notebook_parameters(job.path) or set()
            write_notebook(stand_in, "\n".join(f"{n} = None  # stand-in" for n in sorted(names)),
                           'from analysis.report import kit\nkit.header("替身 " + str(locals().get("doc_id") or locals().get("compare")), "", ["完成"])')  # fmt: skip
    jobs = load_jobs(project / "reports.yml", processed)
    names = {j.name for j in jobs}
    assert {"profile-linjiang-2022", "profile-linjiang-2024", "shifts-linjiang-2024-vs-rest", "shifts-linjiang-2022-to-linjiang-2024"} <= names
    assert "shifts-linjiang-2022-vs-rest" not in names  # not its place's latest plan
    wanted = [j for j in jobs if "linjiang" in j.name]
    out = project / "reports"
    results = runner.run_reports(wanted, root=project, processed=processed, out=out, workers=1, progress=False, all_jobs=jobs)
    assert {r.name: r.status for r in results} == {j.name: "ok" for j in wanted}
    index = (out / "index.html").read_text(encoding="utf-8")
    for job in wanted:
        assert f"<a href='{job.name}.html'>" in index and (out / f"{job.name}.html").is_file()
    assert index.count("<tr><td class='report'>") == len(jobs)
