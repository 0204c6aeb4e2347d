"""`python -m analysis run`: content-hashed steps, stale inputs refused, OS failures and interrupts as one line."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, pipeline
from analysis.provenance import State

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def project(tmp_path):
    """A copy of the seed raw folder and an empty processed folder."""
    raw = shutil.copytree(REPO / "data" / "raw", tmp_path / "raw")
    return raw, tmp_path / "processed"


def _run(raw, processed, *extra) -> int:
    return cli.main(["run", "--raw", str(raw), "--processed", str(processed), "--until", "trends", *extra])


def _error_line(err: str) -> str:
    """The one ``error:`` line among the progress output (there must be exactly one, and no traceback)."""
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _edit_with_old_timestamp(path: Path, old: str, new: str) -> None:
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns - 10**12, stat.st_mtime_ns - 10**12))  # older than before, as `cp -p` leaves it


def test_run_skips_unchanged_steps_and_reruns_on_content_change_whatever_the_timestamp(project, capsys):
    raw, processed = project
    assert _run(raw, processed) == 0
    first = capsys.readouterr().err
    assert all(f"{s}: running" in first for s in pipeline.ANALYSIS_STEPS)
    tables = {p.name: p.read_bytes() for p in processed.glob("*.csv")}
    assert _run(raw, processed) == 0
    second = capsys.readouterr().err
    assert second.count("unchanged, skipped") == len(pipeline.ANALYSIS_STEPS) and "running" not in second
    assert {p.name: p.read_bytes() for p in processed.glob("*.csv")} == tables

    _edit_with_old_timestamp(raw / "xian_2024_work_plan.txt", "90%", "77%")
    assert _run(raw, processed) == 0
    third = capsys.readouterr().err
    assert all(f"{s}: running" in third for s in pipeline.ANALYSIS_STEPS)
    items = pd.read_csv(processed / "items.csv")
    assert items.text.str.contains("77%").any() and not items[items.doc_id == "xian-2024"].text.str.contains("90%").any()
    targets = pd.read_csv(processed / "targets.csv")
    assert (targets.quote.astype(str).str.contains("77%")).any()


def test_a_deleted_raw_file_still_in_the_manifest_is_an_error_and_keeps_the_old_tables(project, capsys):
    raw, processed = project
    assert _run(raw, processed) == 0
    before = (processed / "items.csv").read_bytes()
    (raw / "wanzhou_2024_work_plan.txt").unlink()
    capsys.readouterr()
    assert _run(raw, processed) == 2
    err = capsys.readouterr().err
    assert "wanzhou_2024_work_plan.txt" in err and "Traceback" not in err
    assert (processed / "items.csv").read_bytes() == before


def test_steps_run_by_hand_out_of_order_are_refused_with_what_to_rerun(project, capsys):
    raw, processed = project
    assert _run(raw, processed) == 0
    _edit_with_old_timestamp(raw / "xian_2024_work_plan.txt", "90%", "77%")
    capsys.readouterr()
    assert cli.main(["themes", "--processed", str(processed)]) == 2
    err = capsys.readouterr().err
    assert "items.csv is older than the raw documents" in err and "`python -m analysis ingest`" in err

    assert cli.main(["ingest", "--raw", str(raw), "--out", str(processed)]) == 0
    capsys.readouterr()
    assert cli.main(["targets", "--processed", str(processed)]) == 2
    err = capsys.readouterr().err
    assert "item_themes.csv is older than" in err and "`python -m analysis themes` → `python -m analysis targets`" not in err
    assert "`python -m analysis themes`" in err
    assert cli.main(["reports", "--processed", str(processed)]) == 2
    err = capsys.readouterr().err
    assert "item_themes.csv is older than" in err and "targets" in err

    assert _run(raw, processed) == 0  # run brings everything up to date
    capsys.readouterr()
    assert cli.main(["targets", "--processed", str(processed)]) == 0


def test_a_broken_state_file_is_set_aside_with_a_warning(project, capsys):
    raw, processed = project
    processed.mkdir()
    (processed / "state.json").write_text('{"steps": [1, 2]}', encoding="utf-8")
    assert _run(raw, processed) == 0
    err = capsys.readouterr().err
    assert "unreadable pipeline state" in err and (processed / "state.json.broken").is_file()
    assert set(json.loads((processed / "state.json").read_text(encoding="utf-8"))["steps"]) == set(pipeline.ANALYSIS_STEPS)


def test_a_full_disk_is_one_line_and_leaves_the_previous_tables(project, capsys, monkeypatch):
    raw, processed = project
    assert _run(raw, processed) == 0
    before = {p.name: p.read_bytes() for p in processed.glob("*.csv")}
    _edit_with_old_timestamp(raw / "xian_2024_work_plan.txt", "90%", "77%")

    real = pd.DataFrame.to_csv

    def full(self, path=None, *args, **kwargs):
        real(self.head(1), path, *args, **kwargs)  # part of the file is written, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    capsys.readouterr()
    assert _run(raw, processed) == 2
    err = _error_line(capsys.readouterr().err)
    assert "No space left on device" in err and str(processed) in err
    assert {p.name: p.read_bytes() for p in processed.glob("*.csv")} == before
    assert not [p for p in processed.iterdir() if p.name.startswith(".") and p.name != ".lock"]


def _mount_tmpfs(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    return done.returncode == 0


def test_a_real_full_disk_and_a_read_only_folder(project, tmp_path, capsys):
    raw, _ = project
    small, readonly = tmp_path / "small", tmp_path / "readonly"
    if not _mount_tmpfs(small, "size=48k"):
        pytest.skip("cannot mount a tmpfs here (needs root); the monkeypatched ENOSPC test covers the logic")
    try:
        assert _run(raw, small) == 2
        err = _error_line(capsys.readouterr().err)
        assert "No space left on device" in err and str(small) in err
        assert not [p for p in small.iterdir() if p.suffix == ".tmp"]
        assert _mount_tmpfs(readonly, "ro,size=1m")
        assert _run(raw, readonly) == 2
        err = _error_line(capsys.readouterr().err)
        assert "Read-only file system" in err and str(readonly) in err
    finally:
        for folder in (small, readonly):
            subprocess.run(["umount", str(folder)], capture_output=True)


def test_sigterm_during_a_step_exits_143_and_writes_nothing_half(project, monkeypatch, capsys):
    raw, processed = project
    assert _run(raw, processed) == 0
    before = {p.name: p.read_bytes() for p in processed.glob("*.csv")}
    from analysis.store import write_tables as real_write

    def killed(tables, out_dir):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_write(tables, out_dir)

    monkeypatch.setattr("analysis.ingest.build.write_tables", killed)
    _edit_with_old_timestamp(raw / "xian_2024_work_plan.txt", "90%", "77%")
    with pytest.raises(SystemExit) as stopped:
        _run(raw, processed)
    assert stopped.value.code == 143
    assert {p.name: p.read_bytes() for p in processed.glob("*.csv")} == before
    assert State(processed).steps["ingest"]["inputs"]["raw"] != pipeline.Digests(processed, raw)("raw")  # not recorded as done


def test_two_runs_on_one_folder_do_not_race_and_leftovers_are_removed(project, capsys):
    raw, processed = project
    processed.mkdir()
    leftover = processed / ".items.csv.abc123.tmp"
    leftover.write_text("half", encoding="utf-8")
    with pipeline._Lock(processed):
        assert _run(raw, processed) == 2
        assert "another `python -m analysis run` is using this folder" in capsys.readouterr().err
    assert _run(raw, processed) == 0
    assert not leftover.exists()


def test_changed_code_or_parameters_rerun_the_step(project, capsys, monkeypatch):
    raw, processed = project
    assert _run(raw, processed) == 0
    monkeypatch.setattr(pipeline, "code_digest", lambda: "edited code")
    capsys.readouterr()
    assert _run(raw, processed) == 0
    err = capsys.readouterr().err
    assert all(f"{s}: running" in err for s in pipeline.ANALYSIS_STEPS)
    assert cli.main(["themes", "--processed", str(processed), "--seed", "3"]) == 0  # by hand, other parameters
    capsys.readouterr()
    assert _run(raw, processed) == 0
    err = capsys.readouterr().err
    assert "ingest: unchanged, skipped" in err and "themes: running" in err


def test_a_symlink_loop_in_the_raw_folder_is_one_line(project, capsys):
    raw, processed = project
    (raw / "loop-a.txt").symlink_to(raw / "loop-b.txt")
    (raw / "loop-b.txt").symlink_to(raw / "loop-a.txt")
    manifest = (raw / "manifest.csv").read_text(encoding="utf-8")
    first = manifest.splitlines()[1].split(",")
    row = ",".join(["loop-2030", "loop-a.txt", *first[2:5], "2030", *first[6:]])
    (raw / "manifest.csv").write_text(manifest.rstrip("\n") + "\n" + row + "\n", encoding="utf-8")
    assert _run(raw, processed) == 2
    err = _error_line(capsys.readouterr().err)
    assert "loop-a.txt" in err and "manifest.csv" in err
    assert not (processed / "items.csv").exists()
