"""The notebooks run end to end in a real Jupyter kernel (nbclient + ipykernel).

Any error in any cell fails the test; a few outputs are checked: figures are drawn as images,
the interactive maps inline Leaflet instead of loading it from the network, the shortlist
names the Taifeng site. Committed notebooks carry no outputs (diffs stay readable). Running a
notebook takes 15–30 s on the 2-core machine, so those tests are marked slow (CI runs them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
_REMOTE = re.compile(r"<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*[\"']?https?://", re.I)


def _run(path: Path, tmp: Path) -> object:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return {}


def _outputs(nb: object, mime: str) -> list[str]:
    found = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if mime in data:
                found.append(data[mime])
            elif mime == "text/plain" and out.get("output_type") == "stream":
                found.append(out.get("text", ""))
    return found


def _executed(name: str, executed: dict[str, object], tmp: Path) -> object:
    if name not in executed:
        executed[name] = _run(Path(__file__).parent.parent / "notebooks" / name, tmp)
    return executed[name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook with no code"
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow  # a kernel, the demo zone and every cell: 15-30 s
def test_01_inventory_tour(executed: dict[str, object], tmp_path: Path) -> None:
    nb = _executed("01_inventory_tour.ipynb", executed, tmp_path)
    assert len(_outputs(nb, "image/png")) >= 2  # the stock chart and the static map
    maps = [h for h in _outputs(nb, "text/html") if "leaflet" in h.lower()]
    assert maps, "the interactive map was not shown"
    assert not any(_REMOTE.search(h) for h in maps)
    html = "".join(_outputs(nb, "text/html"))
    assert "assets by status and district" in html  # the inventory's own HTML table


@pytest.mark.slow  # a kernel, the demo zone and every cell: 15-30 s
def test_02_hengzhong_brief(executed: dict[str, object], tmp_path: Path) -> None:
    nb = _executed("02_hengzhong_brief.ipynb", executed, tmp_path)
    html = "".join(_outputs(nb, "text/html"))
    assert "TS-0001" in html and "泰丰闲置厂区" in html
    text = "".join(_outputs(nb, "text/plain"))
    assert "TS-0001" in text
    assert any("leaflet" in h.lower() for h in _outputs(nb, "text/html"))
    assert "hengzhong.pdf" in text  # the PDF brief was written
    assert "top_k_share" in html and "robust" in html  # the robustness table
    assert "proposed" in html and "n_new" in html  # the what-if table


@pytest.mark.slow  # a kernel, the demo zone and every cell: 15-30 s
def test_03_low_efficiency_and_idle_clocks(executed: dict[str, object], tmp_path: Path) -> None:
    nb = _executed("03_low_efficiency_and_idle_clocks.ipynb", executed, tmp_path)
    assert len(_outputs(nb, "image/png")) >= 4  # efficiency, idle days, rents, pipeline
    html = "".join(_outputs(nb, "text/html"))
    assert "low_efficiency" in html  # the status event written by mark_low_efficiency
    assert "reclaim_proposal" in html  # a statutory point within a year of 2023-06-30
    assert "price_drop" in html or "price_drop" in "".join(_outputs(nb, "text/plain"))


@pytest.mark.slow  # the choice sets of 36 deals take about half a minute
def test_04_learning_weights(executed: dict[str, object], tmp_path: Path) -> None:
    nb = _executed("04_learning_weights.ipynb", executed, tmp_path)
    html = "".join(_outputs(nb, "text/html"))
    assert "hit@1" in html and "learned" in html and "default" in html
    assert len(_outputs(nb, "image/png")) >= 1  # the learned weights
    assert "TS-0001" in html  # Hengzhong's shortlist under the learned weights
