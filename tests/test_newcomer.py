"""The package's public face: help(), the licence, the design notes, the demo's litter (issue 8)."""

from __future__ import annotations

import gc
import pydoc
import re
import tempfile
import tomllib
from pathlib import Path

import assetmatch as am

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_only_the_api():
    text = pydoc.render_doc(am, renderer=pydoc.plaintext)
    data = text.split("\nDATA\n", 1)[1].split("\nVERSION\n", 1)[0]
    assert re.findall(r"^    (\w+) = ", data, flags=re.M) == ["MU_M2", "__all__"]
    assert "class PackageNotFoundError" not in text
    assert not re.search(r"^    version\(", text, flags=re.M)
    for name in ("Inventory", "Requirements", "match", "AssetmatchError", "NotFoundError"):
        assert name in text


def test_licence_file_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert meta["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_the_code_cites_only_design_notes_in_the_repository():
    assert (ROOT / "docs" / "design.md").is_file()
    for path in [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bDESIGN(\.md)?\b", text), path


def test_run_sh_installs_only_when_pyproject_changes():
    text = (ROOT / "run.sh").read_text(encoding="utf-8")
    assert ".venv/.assetmatch-installed" in text and "sha256sum pyproject.toml" in text
    assert "setup)" in text


def _demo_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("assetmatch-demo-*")}


def test_demo_leaves_no_new_temporary_directory_per_call(monkeypatch):
    first = am.Inventory.demo()
    path = first.path
    assert path.parent.name in _demo_dirs()
    made: list[str] = []
    real = tempfile.mkdtemp

    def counting(*a, **k):  # other processes' demo folders come and go in the shared /tmp
        made.append(real(*a, **k))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", counting)
    second = am.Inventory.demo()
    assert made == []  # one folder per process, not one per call
    assert second.path.parent == path.parent and second.path != path
    gone = second.path
    del second
    gc.collect()
    assert not gone.exists()  # the file goes with its inventory
    assert first.path.exists()
