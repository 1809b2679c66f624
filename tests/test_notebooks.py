"""The notebooks run top to bottom (their code cells, in one namespace)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    ns: dict[str, object] = {}
    ran = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if ".plot(" in src and importlib.util.find_spec("matplotlib") is None:
            continue  # plotting needs matplotlib, which the library does not require
        exec(compile(src, f"{path.name}", "exec"), ns)
        ran += 1
    assert ran >= 5
    assert ns["res"].table.loc[0, "asset_id"] == "TS-0001"  # type: ignore[attr-defined]
