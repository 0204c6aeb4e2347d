"""Warm kernels and the ad-hoc report command: clean namespace per report, figure folders, parameters, reproduce section."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from analysis import cli
from analysis.report import runner
from analysis.report.jobs import load_jobs
from conftest import REPO, write_notebook

LEAKY = (
    "tag = 0  # which run",
    'import os\nsecret = 42\nos.environ["LEAK_CHECK"] = "set by the first report"\nimport matplotlib.pyplot as plt\nplt.figure()',
)
PROBE = (
    "tag = 0  # which run",
    'import os, matplotlib.pyplot as plt\nfrom pathlib import Path\nprint("secret" in dir(), "tag" in dir(), len(plt.get_fignums()))\n'
    'print(os.environ["ANALYSIS_REPORT_NAME"], os.environ["ANALYSIS_FIGURE_DIR"], Path.cwd())\n'
    'Path(os.environ["ANALYSIS_FIGURE_DIR"]).mkdir(parents=True, exist_ok=True)\n(Path(os.environ["ANALYSIS_FIGURE_DIR"]) / f"fig-{tag}.svg").write_text("<svg/>")',
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("warm")
    write_notebook(root / "nb" / "leaky.ipynb", *LEAKY)
    write_notebook(root / "nb" / "probe.ipynb", *PROBE)
    (root / "reports.yml").write_text(
        "jobs:\n  a-leaky: {notebook: nb/leaky.ipynb}\n  b-probe: {notebook: nb/probe.ipynb, parameters: {tag: 1}}\n", encoding="utf-8"
    )
    (root / "processed").mkdir()
    (root / "processed" / "items.csv").write_text("doc_id,n\na,1\n", encoding="utf-8")
    return root


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")


def test_no_variable_environment_or_figure_leaks_from_one_report_to_the_next(project):
    jobs = load_jobs(project / "reports.yml")
    out = project / "reports"
    # one worker: both reports run on the same kernel, the leaky one first (new jobs keep file order)
    results = runner.run_reports(jobs, root=project, processed=project / "processed", out=out, workers=1, progress=False)
    assert [r.status for r in results] == ["ok", "ok"]
    lines = _stdout(nbformat.read(out / "executed" / "b-probe.ipynb", as_version=4)).splitlines()
    assert lines[0] == "False True 0"  # `secret` gone, its own `tag` there, no figure left open
    assert lines[1] == f"b-probe {out / 'figures' / 'b-probe'} {project}"
    assert (out / "figures" / "b-probe" / "fig-1.svg").is_file()


def test_a_rerun_replaces_the_figure_folder(project, tmp_path):
    jobs = [j for j in load_jobs(project / "reports.yml") if j.name == "b-probe"]
    out = tmp_path / "reports"
    stale = out / "figures" / "b-probe" / "old.svg"
    stale.parent.mkdir(parents=True)
    stale.write_text("<svg/>")
    [result] = runner.run_reports(jobs, root=project, processed=project / "processed", out=out, workers=1, progress=False)
    assert result.status == "ok" and not stale.exists() and (out / "figures" / "b-probe" / "fig-1.svg").is_file()


def test_report_command_renders_one_notebook_with_reproduce_section(project, capsys):
    page = project / "adhoc" / "probe-7.html"
    code = cli.main(["report", str(project / "nb" / "probe.ipynb"), "-p", "tag", "7", "--out", str(page),
                     "--processed", str(project / "processed")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    text = page.read_text(encoding="utf-8")
    assert "复现 Reproduce" in text and "@font-face" in text and "Path.cwd()" not in text  # code hidden
    assert re.search(r"python -m analysis report \S*probe.ipynb -p tag 7 --out \S*probe-7.html", text)
    assert re.search(r"数据哈希 Data hash.*<code>[0-9a-f]{16}</code>", text) and "Git commit" in text
    assert (project / "adhoc" / "figures" / "probe-7" / "fig-7.svg").is_file()
    assert not (project / "adhoc" / ".staging").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-p", "tga", "1"], "unknown parameter 'tga'; known parameters: tag"),
        (["-p", "tag", "1", "--out", "x.txt"], "--out must name an .html file"),
        (["-p", "tag", "1", "--out", "index.html"], "report name 'index' is reserved"),
    ],
)
def test_report_command_refuses_bad_parameters_and_names_with_exit_2(project, capsys, argv, message):
    out = [] if "--out" in argv else ["--out", str(project / "adhoc" / "never.html")]
    assert cli.main(["report", str(project / "nb" / "probe.ipynb"), *argv, *out]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (project / "adhoc" / "never.html").exists()


def test_report_command_needs_out_and_shifts_default_to_a_place_with_two_years(themed, tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["report", "notebooks/03_priority_shifts.ipynb"])  # --out is required
    page = tmp_path / "shifts.html"
    assert cli.main(["report", str(REPO / "notebooks" / "03_priority_shifts.ipynb"), "-p", "processed", str(themed), "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "青岛市 2021" in text and "青岛市 2024" in text  # without base/compare: the first place's earliest against latest plan


@pytest.mark.parametrize("notebook", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_papermill_lists_every_parameter_with_help(notebook):
    import papermill

    inspected = papermill.inspect_notebook(str(notebook))
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    assigned = [t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign) for t in node.targets]
    assert assigned and list(inspected) == assigned
    assert all(inspected[name]["help"].strip() for name in assigned), inspected
    assert all(line.count("=") == 1 for line in cell.source.splitlines() if line.strip())
