"""termbook in someone else's site: examples/embedded, built with termbook installed from its wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "embedded"


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory) -> Path:
    """termbook built as a wheel and unpacked (pip install --target), ahead of the editable install."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy: setuptools writes build/ next to pyproject.toml
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "plugins", source / "plugins", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [wheel] = (out / "dist").glob("termbook-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for packaged in (
        "termbook/templates/term.md.j2",
        "termbook/assets/termbook.css",
        "termbook/assets/iframe-worker-shim.js",
        "termbook/execution/worker.py",
    ):
        assert packaged in names, f"{packaged} is missing from the wheel"
    target = out / "site-packages"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def test_embedded_example_builds_with_the_installed_wheel(wheel_dir, tmp_path):
    work = tmp_path / "embedded"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("site", ".cache", "__pycache__"))
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(wheel_dir))
    probe = subprocess.run([sys.executable, "-c", "import termbook; print(termbook.__file__)"], env=env, capture_output=True, text=True)
    assert probe.stdout.startswith(str(wheel_dir)), probe.stdout + probe.stderr  # the wheel, not the checkout
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    site = work / "site"
    for slug in ("arithmetic-mean", "variance", "standard-deviation", "z-score", "covariance"):
        page = (site / "glossary" / f"{slug}.html").read_text(encoding="utf-8")
        assert "Verified" in page and "<math" in page, slug
    index = (site / "glossary" / "index.html").read_text(encoding="utf-8")
    assert "5 terms" in index
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="glossary/index.html"' in home or 'href="glossary/"' in home  # the glossary is in the site's nav
    usage = (site / "usage.html").read_text(encoding="utf-8")
    assert 'href="glossary/variance.html"' in usage
    assert not (site / "terms").exists() and (site / "glossary" / "terms.json").is_file()
