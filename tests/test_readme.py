"""The README's Python example runs as written (from a copy of the repository's data)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_readme_example_runs(tmp_path, monkeypatch):
    blocks = _python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README has no python example"
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "plants.xlsx", tmp_path / "data" / "plants.xlsx")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {"__name__": "readme"}
    for code in blocks:
        exec(compile(code, "README.md", "exec"), scope)
    report, res, inv = scope["report"], scope["res"], scope["inv"]
    # what the sheet holds: five plants, one row without coordinates (rejected, saying why)
    assert report.created == ["PL-001", "PL-002", "PL-003", "PL-004", "PL-005"]
    assert report.rejected[["row", "asset_id"]].values.tolist() == [[7, "PL-006"]]
    assert "经度/纬度" in report.to_text(lang="zh")
    assert inv.assets().at["PL-001", "status"] == "negotiating"
    assert inv.assets(as_of="2025-03-31").at["PL-001", "status"] == "idle"
    # the education brief: PL-003 (185 mu of education land, lease then transfer) comes first
    assert res.table["asset_id"].iloc[0] == "PL-003"


def test_the_sample_sheet_says_it_is_synthetic():
    from openpyxl import load_workbook

    wb = load_workbook(ROOT / "data" / "plants.xlsx", read_only=True)
    note = " ".join(str(c) for row in wb["说明"].iter_rows(values_only=True) for c in row if c)
    assert "SYNTHETIC" in note and "合成" in note


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_text_lists_rows_in_file_order(tmp_path, lang):
    import assetmatch as am

    inv = am.Inventory.open(tmp_path / "z.gpkg")
    rep = inv.import_file(ROOT / "data" / "plants.xlsx", at="2025-01-01")
    lines = rep.to_text(lang=lang).splitlines()[1:]
    if rep.extra_columns:  # the line naming the columns that matched no field comes first
        assert ", ".join(rep.extra_columns) in lines[0] or "、".join(rep.extra_columns) in lines[0]
        lines = lines[1:]
    rows = [int(re.search(r"(?:row|第) (\d+)", line).group(1)) for line in lines]
    assert rows == sorted(rows) and rows[-1] == 7
