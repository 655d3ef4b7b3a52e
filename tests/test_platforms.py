"""The same site on the platforms after MkDocs 1.x: ProperDocs builds it unchanged.

(Zensical, which runs no Python plugins, builds the output of `termbook render`: see
test_standalone.py.) Without ProperDocs installed these tests skip, but under CI=true, where the
test extra installs it, they fail.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .browser.conftest import _copy_project

BIN = Path(sys.executable).parent
GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def _require(tool: str) -> Path:
    path = shutil.which(tool, path=str(BIN))
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {tool} is not installed (pip install -e '.[test]' installs it)")
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]')")
    return Path(path)


def _build(tool: Path, work: Path, site: str) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [str(tool), "build", "--strict", "-f", "mkdocs.yml", "--site-dir", str(work / site)],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def test_properdocs_builds_the_site_into_the_same_files(tmp_path):
    properdocs = _require("properdocs")
    mkdocs = _require("mkdocs")
    work = tmp_path / "project"
    work.mkdir()
    _copy_project(work)
    _build(mkdocs, work, "site-mkdocs")
    _build(properdocs, work, "site-properdocs")
    a, b = work / "site-mkdocs", work / "site-properdocs"
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    different = []
    for rel in files_a:
        if filecmp.cmp(a / rel, b / rel, shallow=False):
            continue
        if rel.suffix == ".html" and GENERATOR.sub(b"", (a / rel).read_bytes()) == GENERATOR.sub(b"", (b / rel).read_bytes()):
            continue  # only the generator meta tag differs
        different.append(rel.as_posix())
    assert different == []
