"""Interrupts and OS failures: SIGKILL/SIGTERM/SIGINT during reports, a full disk, an unwritable output folder."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest

from analysis import cli
from analysis.report import runner, worker
from analysis.report.kernels import WarmKernel
from conftest import REPO, write_notebook

N_JOBS = 6
SLOW = ("label = 0  # which report", 'import time\ntime.sleep(0.4)\nfrom analysis.report import kit\nkit.header(f"报告 {label}", "", [f"第 {label} 份"])')


@pytest.fixture()
def project(tmp_path):
    write_notebook(tmp_path / "nb" / "slow.ipynb", *SLOW)
    jobs = "".join(f"  r{i}: {{notebook: nb/slow.ipynb, parameters: {{label: {i}}}}}\n" for i in range(N_JOBS))
    (tmp_path / "reports.yml").write_text("jobs:\n" + jobs, encoding="utf-8")
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "items.csv").write_text("doc_id,n\na,1\n", encoding="utf-8")
    return tmp_path


def _command(root):
    return [sys.executable, "-m", "analysis", "reports", "--config", str(root / "reports.yml"), "--processed",
            str(root / "processed"), "--out", str(root / "reports"), "--jobs", "2"]  # fmt: skip


def _start(root):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(_command(root), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _tree(proc) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _cmdline(process: psutil.Process) -> list[str]:
    """A process's command line; empty for one that has exited (or is a zombie awaiting its parent)."""
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _wait_for_kernels(proc, timeout=120):
    """Wait until the run has a kernel (worker → kernel: a process tree of depth 2); return the tree seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = _tree(proc)
        if any("ipykernel" in " ".join(_cmdline(p)) for p in tree):
            return tree
        time.sleep(0.1)
    raise AssertionError("no kernel started")


def _gone(processes, timeout=15) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def _snapshot(out):
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} if out.exists() else {}


def _index_matches_files(out):
    """Every page linked as 成功 in the index exists and is the page of that job's parameters; nothing else is ok."""
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in (f"r{i}" for i in range(N_JOBS)):
        row = re.search(rf"<tr><td class='report'>(?:(?!</tr>).)*<div class='name'>{name}</div>.*?</tr>", index).group(0)
        assert state[name]["status"] == "ok" and "成功 ok" in row and f"href='{name}.html'" in row
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert f"报告 {name[1:]}" in page and "</html>" in page
    assert not list(out.rglob(".*.tmp")) and not (out / ".staging").exists()


def test_sigkill_at_random_moments_leaves_no_process_and_a_rerun_repairs_the_index(project):
    out = project / "reports"
    rng = random.Random(7)
    for attempt in range(3):
        proc = _start(project)
        tree = _wait_for_kernels(proc)
        time.sleep(rng.uniform(0.0, 2.5))
        tree = list({p.pid: p for p in tree + _tree(proc)}.values())
        proc.kill()
        proc.wait()
        assert _gone(tree), f"attempt {attempt}: workers or kernels outlived the runner"
        before = _snapshot(out)
        time.sleep(1.0)
        assert _snapshot(out) == before, "something was written after the runner was killed"
    done = subprocess.run(_command(project), cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _index_matches_files(out)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_sigint_stop_the_queue_record_what_finished_and_exit_128_plus(project, signum, code):
    out = project / "reports"
    proc = _start(project)
    tree = _wait_for_kernels(proc)
    deadline = time.monotonic() + 120
    while not (out / "state.json").exists() and time.monotonic() < deadline:  # at least one report finished
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"stopped: interrupted by {signal.Signals(signum).name}" in err and "Traceback" not in err
    assert _gone(tree)
    state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
    assert 1 <= len(state) < N_JOBS and all(e["status"] == "ok" and (out / f"{n}.html").is_file() for n, e in state.items())
    assert not (out / ".staging").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("成功 ok") == len(state) and index.count("未运行 not run") == N_JOBS - len(state)


def test_a_full_disk_while_placing_outputs_is_one_line_exit_2_previous_outputs_intact(project, monkeypatch, capsys):
    config = ["reports", "--config", str(project / "reports.yml"), "--processed", str(project / "processed"),
              "--out", str(project / "reports"), "--only", "r0", "--jobs", "1"]  # fmt: skip
    assert cli.main(config) == 0
    page = (project / "reports" / "r0.html").read_bytes()
    state = (project / "reports" / "state.json").read_bytes()
    capsys.readouterr()

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(runner.os, "replace", full)
    assert cli.main(config + ["--force"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert last.startswith(f"error: {project / 'reports'}/") and last.endswith("cannot write report output (No space left on device)")
    assert (project / "reports" / "r0.html").read_bytes() == page and (project / "reports" / "state.json").read_bytes() == state
    assert not (project / "reports" / ".staging").exists()


def test_a_worker_checks_free_space_and_never_stages_a_partial_file(project, tmp_path, monkeypatch):
    monkeypatch.setattr(worker.shutil, "disk_usage", lambda path: os.statvfs_result((0,) * 10) and type("U", (), {"free": 100})())
    target = tmp_path / "staged.html"
    with pytest.raises(OSError) as info:
        worker.write_checked(target, b"x" * 1000)
    assert info.value.errno == errno.ENOSPC and not target.exists()
    kernel = WarmKernel(str(project))
    task = {"name": "r1", "notebook": "nb/slow.ipynb", "path": str(project / "nb" / "slow.ipynb"), "parameters": {"label": 1},
            "out": str(tmp_path / "out"), "staging": str(tmp_path), "show_code": False,
            "reproduce": {"command": "c", "data": "0" * 16, "version": "0", "commit": "none"}}  # fmt: skip
    try:
        outcome = worker.execute_task(kernel, task)
    finally:
        kernel.stop()
    assert outcome["status"] == "oserror" and outcome["files"] == {} and "No space left on device" in outcome["error"]
    assert not list(tmp_path.glob("r1.*"))


@pytest.mark.parametrize("error", [errno.EROFS, errno.EACCES])
def test_an_unwritable_output_folder_is_one_line_exit_2(project, monkeypatch, capsys, error):
    real_mkdir = type(project).mkdir

    def refuse(self, *args, **kwargs):
        if self.name == ".staging":
            raise OSError(error, os.strerror(error), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(type(project), "mkdir", refuse)
    code = cli.main(["reports", "--config", str(project / "reports.yml"), "--processed", str(project / "processed"),
                     "--out", str(project / "reports")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err == f"error: {project / 'reports' / '.staging'}: cannot write report output ({os.strerror(error)})\n"
