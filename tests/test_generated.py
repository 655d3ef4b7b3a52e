"""Generated pages live on disk under the cache, rewritten only when they change."""

from __future__ import annotations

import os

from termbook.generated import GeneratedFiles


def test_a_page_is_written_once_and_rewritten_only_when_it_changes(tmp_path):
    store = GeneratedFiles(tmp_path / "generated")
    path = store.put("terms/dropout.md", "# Dropout – ü\n")
    assert path == tmp_path / "generated" / "terms" / "dropout.md"
    assert path.read_text(encoding="utf-8") == "# Dropout – ü\n"
    os.utime(path, ns=(1, 1))
    store.put("terms/dropout.md", "# Dropout – ü\n")
    assert path.stat().st_mtime_ns == 1  # same text: not written again (a warm build writes nothing)
    store.put("terms/dropout.md", "# Dropout – ü!\n")
    assert path.read_text(encoding="utf-8") == "# Dropout – ü!\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["dropout.md"]  # no temporary file left


def test_same_size_different_text_is_rewritten(tmp_path):
    store = GeneratedFiles(tmp_path)
    path = store.put("a.md", "abc")
    store.put("a.md", "abd")
    assert path.read_text() == "abd"
