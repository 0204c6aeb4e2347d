"""environment.yml installs the same dependencies, with the same ranges, as pyproject.toml."""

from __future__ import annotations

import re

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from conftest import REPO


def _normalise(spec: str) -> tuple[str, str]:
    spec = spec.split(";", 1)[0]  # an environment marker (python_version < "3.11") is pip's business; conda lists the package
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", spec)
    name, version = match.groups()
    return name.lower().replace("_", "-"), ",".join(sorted(version.replace(" ", "").split(",")))


def test_environment_yml_in_step_with_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_normalise(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    listed: set[tuple[str, str]] = set()
    pip_lines: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_lines += dep["pip"]
        elif dep != "pip" and not re.match(r"python[<>=]", dep):
            listed.add(_normalise(dep))
    listed |= {_normalise(line) for line in pip_lines if not line.startswith("-e")}
    assert listed == wanted
    assert "-e ." in pip_lines
    python = next(d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python[<>=]", d))
    assert python == f"python{project['requires-python']}"
