"""The report runner: parallel papermill jobs, failure isolation, skipping by content hashes, index, HTML."""

from __future__ import annotations

import ast
import base64
import io
import json
import re
import shutil

import nbformat
import pytest
from fontTools.ttLib import TTFont

from analysis import cli
from analysis.report import html, index, runner, worker
from analysis.errors import InputError
from conftest import REPO, write_notebook

GOOD = (
    'label = "默认"\nprocessed = None',
    'from analysis.report import kit\nkit.header(f"测试报告 {label}", "甲组与乙组", [f"发现一：{label} <b>粗</b>", "发现二"])',
    'import sys\nprint("a warning for developers", file=sys.stderr)\nprint("输出 stdout")',
)
BAD = ("processed = None", "x = 1", 'raise ValueError("故意失败 on purpose")', 'print("never reached")')
CONFIG = """jobs:
  good: {notebook: nb/good.ipynb, parameters: {label: 甲}}
  bad: {notebook: nb/bad.ipynb}
  missing: {notebook: nb/missing.ipynb}
  typo: {notebook: nb/good.ipynb, parameters: {lable: 乙}}
"""


def _project(root):
    write_notebook(root / "nb" / "good.ipynb", *GOOD)
    write_notebook(root / "nb" / "bad.ipynb", *BAD)
    (root / "reports.yml").write_text(CONFIG, encoding="utf-8")
    (root / "processed").mkdir()
    (root / "processed" / "items.csv").write_text("doc_id,n_chars\na,1\n", encoding="utf-8")
    return root / "reports.yml"


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """All four throwaway jobs run once, two at a time: ``(results by name, project root, output folder)``."""
    root = tmp_path_factory.mktemp("project")
    jobs = runner.load_jobs(_project(root))
    out = root / "reports"
    results = runner.run_reports(jobs, root=root, processed=root / "processed", out=out, workers=2, progress=False)
    return {r.name: r for r in results}, root, out


def test_failing_jobs_do_not_stop_the_others(first_run):
    results, _, out = first_run
    assert {n: r.status for n, r in results.items()} == {"good": "ok", "bad": "failed", "missing": "failed", "typo": "failed"}
    assert results["good"].finding == "发现一：甲 <b>粗</b>" and results["good"].title == "测试报告 甲"
    assert results["bad"].error == "ValueError: 故意失败 on purpose (cell 4)"  # cell 4 of the executed notebook: the injected parameters cell counts
    assert results["missing"].error == "notebook not found: nb/missing.ipynb (listed in reports.yml)"
    assert results["typo"].error.startswith("parameter(s) lable not in the parameters cell of nb/good.ipynb (has: label, processed)")
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
    assert state["good"]["status"] == "ok" and state["bad"]["status"] == "failed"
    table = runner.summary_table(list(results.values()), out)
    assert re.search(r"^bad +failed .*ValueError: 故意失败 on purpose \(cell 4\) → .*bad\.ipynb$", table, re.M)
    assert table.splitlines()[-1].startswith("4 reports: 1 ok, 0 skipped (unchanged), 3 failed")


def test_large_runs_list_only_the_reports_that_ran(tmp_path):
    results = [runner.Result(f"profile-{i:03d}", "skipped", note="unchanged") for i in range(runner.LISTED_SKIPS)]
    results += [runner.Result("corpus", "ok", seconds=2.5, note="changed: data")]
    lines = runner.summary_table(results, tmp_path).splitlines()
    assert lines[1] == f"({runner.LISTED_SKIPS:,} unchanged reports not listed: see the index)"
    assert re.match(r"^corpus +ok +2\.5 s  changed: data$", lines[2]) and len(lines) == 4
    assert lines[-1].startswith(f"{runner.LISTED_SKIPS + 1} reports: 1 ok, {runner.LISTED_SKIPS} skipped (unchanged), 0 failed")
    few = runner.summary_table(results[-5:], tmp_path).splitlines()
    assert len(few) == 7 and "profile-039" in few[4]  # small runs list every report


def test_executed_notebooks_keep_parameters_and_stop_at_the_failure(first_run):
    _, root, out = first_run
    good = nbformat.read(out / "executed" / "good.ipynb", as_version=4)
    injected = next(c for c in good.cells if "injected-parameters" in c.metadata.get("tags", []))
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(injected.source).body}
    assert values == {"label": "甲", "processed": "processed"}  # the folder is passed on, relative to the project root
    bad = nbformat.read(out / "executed" / "bad.ipynb", as_version=4)
    code = [c for c in bad.cells if c.cell_type == "code"]
    assert [o.output_type for o in code[-2].outputs] == ["error"] and code[-1].outputs == []
    assert not (out / "executed" / "missing.ipynb").exists() and not (out / "missing.html").exists()
    assert not (out / "typo.html").exists()  # refused before running: no page, not even an old one


def test_report_html_stands_alone_with_code_hidden(first_run):
    _, _, out = first_run
    page = (out / "good.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "cdnjs" not in page and "mathjax" not in page.lower()
    assert "<title>测试报告 甲</title>" in page and "<html lang=\"zh\">" in page
    assert "发现一：甲 &lt;b&gt;粗&lt;/b&gt;" in page  # document text stays inert
    assert "kit.header" not in page and "a warning for developers" not in page and "输出 stdout" in page
    face = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", page).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(face))).getBestCmap()
    shown = {c for c in "测试报告甲发现一粗二组与乙输出"}
    assert all(ord(c) in cmap for c in shown)
    failed = (out / "bad.html").read_text(encoding="utf-8")
    assert "ValueError</span>: 故意失败 on purpose" in failed and "jp-InputArea" in failed  # shows code and error


def test_index_lists_every_report_with_status_time_parameters_and_finding(first_run):
    results, _, out = first_run
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class='report'>.*?</tr>", page)
    assert len(rows) == 4
    good, bad, missing, typo = rows
    assert "<a href='good.html'>测试报告 甲</a>" in good and "发现一：甲 &lt;b&gt;粗&lt;/b&gt;" in good
    assert "<code>label</code> = 甲" in good and "成功 ok" in good and f"{results['good'].seconds:.1f} s" in good
    assert "失败 failed" in bad and "ValueError: 故意失败 on purpose" in bad and "href='bad.html'" in bad
    assert "notebook not found: nb/missing.ipynb" in missing and "<a href" not in missing
    assert "parameter(s) lable" in typo
    assert "共 4 份报告，1 份成功生成" in page and "@font-face" in page


def test_unchanged_jobs_are_skipped_until_an_input_changes_or_forced(first_run, tmp_path, monkeypatch):
    _, root, first_out = first_run
    out = shutil.copytree(first_out, tmp_path / "reports")
    package = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]["good"]["inputs"]["package"]
    monkeypatch.setattr(runner, "package_digest", lambda: package)  # the tree may be edited meanwhile
    jobs = runner.select_jobs(runner.load_jobs(root / "reports.yml"), ["good"], "reports.yml")
    before = (out / "executed" / "good.ipynb").stat().st_mtime_ns

    def run(**options):
        [result] = runner.run_reports(jobs, root=root, processed=root / "processed", out=out, progress=False, **options)
        return result

    again = run()
    assert (again.status, again.note) == ("skipped", "unchanged")
    assert (out / "executed" / "good.ipynb").stat().st_mtime_ns == before
    recorded = (out / "state.json").stat().st_mtime_ns
    assert run().status == "skipped" and (out / "state.json").stat().st_mtime_ns == recorded  # nothing ran: state not rewritten

    with open(root / "processed" / "items.csv", "a", encoding="utf-8") as handle:
        handle.write("b,2\n")
    changed = run(show_code=True)
    assert (changed.status, changed.note) == ("ok", "changed: data, options")
    assert "a warning for developers" in (out / "good.html").read_text(encoding="utf-8")  # code view keeps stderr
    assert run(show_code=True).status == "skipped"
    monkeypatch.setattr(runner, "package_digest", lambda: "new code")
    assert run(show_code=True).note == "changed: package"
    forced = run(show_code=True, force=True)
    assert (forced.status, forced.note) == ("ok", "forced")
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
    assert list(state) == ["good"]  # only listed jobs are kept (all_jobs defaults to the jobs run)


def test_cli_exit_codes_and_summary(first_run, capsys):
    _, root, _ = first_run
    common = ["reports", "--config", str(root / "reports.yml"), "--processed", str(root / "processed"), "--out", str(root / "cli-out")]
    assert cli.main(common + ["--only", "missing"]) == 1
    printed = capsys.readouterr().out
    assert "missing  failed" in printed and "1 reports: 0 ok, 0 skipped (unchanged), 1 failed" in printed
    index = (root / "cli-out" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr><td class='report'>") == 4 and index.count("未运行 not run") == 3
    assert cli.main(common + ["--only", "nosuch"]) == 2
    assert "no report job named 'nosuch'; jobs: good, bad, missing, typo" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, reason",
    [
        ("jobs: [a, b]\n", "expected a mapping 'jobs:'"),
        ("jobs:\n  a: {parameters: {}}\n", "job 'a' needs 'notebook: path/to/notebook.ipynb'"),
        ("jobs:\n  a b: {notebook: x.ipynb}\n", "report name 'a b' must be"),
        ("jobs:\n  a: {notebook: x.ipynb, params: {}}\n", "job 'a' has unknown key(s) params"),
        ("jobs:\n  a: {notebook: x.ipynb, parameters: [1]}\n", "'parameters' must be a mapping"),
        ("jobs: {a: [\n", "not valid YAML"),
    ],
)
def test_malformed_configuration_names_file_and_reason(tmp_path, text, reason):
    config = tmp_path / "reports.yml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(reason)) as info:
        runner.load_jobs(config)
    assert str(config) in str(info.value)


def test_shipped_jobs_match_their_notebooks_parameters(processed):
    jobs = {j.name: j for j in runner.load_jobs(REPO / "reports.yml", processed)}
    assert {"corpus", "themes", "targets", "shifts-qingdao-2021-to-qingdao-2024"} <= set(jobs)
    assert {f"profile-{d}" for d in ("qingdao-2021", "qingdao-2024", "chizhou-2024", "xian-2024", "wanzhou-2024")} <= set(jobs)
    vs_rest = [j for n, j in jobs.items() if n.endswith("-vs-rest")]
    assert sorted(j.parameters["compare"] for j in vs_rest) == [f"year=2024,city={c}" for c in sorted(["青岛市", "池州市", "西安市", "万州区"])]
    assert all(j.parameters["base"] == j.parameters["compare"].replace("city=", "city!=") for j in vs_rest)
    assert jobs["shifts-qingdao-2021-to-qingdao-2024"].parameters["base"] == "city=青岛市,year=2021"
    for job in jobs.values():
        if job.path.is_file():
            names = worker.parameter_names(nbformat.read(job.path, as_version=4))
            assert set(job.parameters) <= names, job.name


def test_parameter_names_reads_the_tagged_cell(tmp_path):
    nb = nbformat.read(write_notebook(tmp_path / "n.ipynb", "a = 1\nb: int = 2  # note\nc, d = 3, 4", "e = 5"), as_version=4)
    assert worker.parameter_names(nb) == {"a", "b"}
    nb.cells[0].metadata["tags"] = []
    assert worker.parameter_names(nb) is None


def test_index_escapes_and_marks_jobs_never_run():
    state = {"a": {"status": "ok", "seconds": 2.345, "finished": "2024-05-01T10:00:00", "title": "<i>标题</i>",
                   "finding": "x < y", "parameters": {"base": "city=<青岛市>"}}}  # fmt: skip
    page = index.index_html(["a", "b"], state, pages={"a"})
    assert "&lt;i&gt;标题&lt;/i&gt;" in page and "x &lt; y" in page and "city=&lt;青岛市&gt;" in page
    assert "2.3 s" in page and "2024-05-01 10:00:00" in page and "未运行 not run" in page and "共 2 份报告，1 份成功生成" in page


def test_report_summary_reads_header_title_and_first_finding():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", {"text/html": "<p>other</p>"}),
                    nbformat.v4.new_output("display_data", {"text/html": "<section class='report-header'><h1>标题</h1>"
                                           "<ul class='key-findings'><li>第一</li><li>第二</li></ul></section>"})]  # fmt: skip
    nb.cells = [cell]
    assert html.report_summary(nb) == ("标题", "第一")
    assert html.report_summary(nbformat.v4.new_notebook()) == ("", "")


def test_real_corpus_report_runs_without_errors_or_missing_glyphs(corpus_report):
    result, out = corpus_report
    assert result.status == "ok", result.error
    assert result.title == "语料概览 Corpus overview"
    assert result.finding == "语料共 5 份文件、198 条工作事项；事项最多的是池州市 2024（74 条），最少的是青岛市 2021（11 条）。"
    nb = nbformat.read(out / "executed" / "corpus.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert not re.search(r"Glyph \d+ .*missing", streams), streams
    charts = [o for o in outputs if "image/png" in o.get("data", {}) or "data:image/png;base64," in "".join(o.get("data", {}).get("text/html", ""))]
    assert len(charts) == 2
    page = (out / "corpus.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == 2
    assert "<script src" not in page
