"""The "复现 Reproduce" section that ends every report: command, job, data hash, version, commit."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

import analysis


def git_commit(root: str | Path) -> str:
    """The checked-out commit of ``root`` (``+ 未提交的修改`` when files changed); a plain note when not a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode:
            return "不是 git 仓库 (not a git checkout)"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "不是 git 仓库 (not a git checkout)"
    return head.stdout.strip() + (" + 未提交的修改 (uncommitted changes)" if dirty.stdout.strip() else "")


def report_command(notebook: str, parameters: Mapping, out: str) -> str:
    """The ``python -m analysis report …`` command line that renders one report."""
    options = " ".join(f"-p {shlex.quote(str(k))} {shlex.quote(str(v))}" for k, v in parameters.items())
    return " ".join(p for p in ("python -m analysis report", shlex.quote(notebook), options, "--out", shlex.quote(out)) if p)


def reproduce_info(root: str | Path, data_hash: str, commit: str | None = None) -> dict:
    """The run-wide part of the section: data hash, package version and git commit."""
    return {"data": data_hash, "version": analysis.__version__, "commit": commit or git_commit(root)}


def reproduce_cell(info: Mapping):
    """A markdown cell "复现 Reproduce" from ``info`` (``command``, optional ``job``, ``data, version, commit``)."""
    from nbformat.v4 import new_markdown_cell

    lines = [
        "## 复现 Reproduce",
        "",
        "重新生成本报告的命令（在项目根目录运行）：",
        "",
        "```text",
        info["command"],
        "```",
        "",
    ]
    if info.get("job"):
        lines += [f"或运行 reports.yml 中的任务 `{info['job']}`：`python -m analysis reports --only {info['job']}`", ""]
    lines += [
        f"- 数据哈希 Data hash（data/processed 各表的 SHA-256）：`{info['data'][:16]}`",
        f"- 程序包版本 Package version：`analysis {info['version']}`",
        f"- 代码版本 Git commit：`{info['commit']}`",
    ]
    return new_markdown_cell("\n".join(lines), metadata={"tags": ["reproduce"]})
