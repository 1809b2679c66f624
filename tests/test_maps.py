"""Maps and notebook HTML: offline Leaflet, numbered ranked sites, escaped data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import assetmatch as am
from assetmatch.maps.explore import score_colour

pytest.importorskip("folium")

_REMOTE = re.compile(r"<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*[\"']?https?://", re.I)
HENGZHONG = am.Requirements(
    investor="Hengzhong Education",
    industry="P83",
    land_use="0804",
    land_area_mu=(150, 200),
    building_area_m2=(50_000, None),
    tenure=["lease", "transfer"],
    max_rent_yuan_m2_month=18,
    ready_within_days=90,
    priorities={"size": 5, "readiness": 5, "cost": 3},
)


@pytest.fixture(scope="module")
def demo() -> am.Inventory:
    inv = am.Inventory.demo()
    yield inv
    inv.close()


@pytest.fixture
def hostile(tmp_path: Path, parcels: gpd.GeoDataFrame) -> am.Inventory:
    """Three parcels, one named like a script, one known only by a point."""
    p = parcels.copy()
    p.loc[0, "name"] = "<script>alert(1)</script>"
    p.loc[1, "geometry"] = p.loc[1, "geometry"].centroid
    inv = am.Inventory.open(tmp_path / "z.gpkg")
    inv.add(p, at="2024-01-01", on_error="raise")
    yield inv
    inv.close()


def _html(m: object) -> str:
    return m.get_root().render()  # type: ignore[attr-defined]


def test_inventory_map_is_offline_and_escaped(hostile: am.Inventory) -> None:
    h = _html(hostile.explore())
    assert not _REMOTE.search(h)  # nothing to fetch: Leaflet is inlined
    assert "Leaflet 1.9.3" in h and "L.map(" in h
    assert "<script>alert(1)" not in h
    assert "\\u0026lt;script\\u0026gt;alert(1)" in h  # escaped, inside the GeoJSON
    assert "new L.CircleMarker(latlng" in h  # a point-only site: a dot, not an image pin
    for status in ("idle", "available", "low_efficiency"):
        assert f"<span>{status}</span>" in h or f">{status}</div>" in h  # legend


def test_tiles_are_optional(hostile: am.Inventory) -> None:
    h = _html(hostile.explore(tiles="OpenStreetMap"))
    assert "tile.openstreetmap.org" in h  # fetched by the browser when viewed
    assert not _REMOTE.search(h)  # still nothing needed to build or open the page


def test_result_map_numbers_and_colours(demo: am.Inventory) -> None:
    res = am.match(HENGZHONG, inventory=demo, top=5)
    h = _html(res.explore())
    assert not _REMOTE.search(h)
    n = len(res.table)
    assert n >= 2
    assert h.count("L.divIcon(") == n
    for rank, score in zip(res.table["rank"], res.table["score"], strict=True):
        badge = f"background:{score_colour(score)}"
        assert badge in h
        assert f"\\u003e{rank}\\u003c/div\\u003e" in h
    assert "泰丰闲置厂区" in h


def test_score_colour_scale() -> None:
    assert score_colour(0) == "#d73027"
    assert score_colour(0.5) == "#fee08b"
    assert score_colour(1) == "#1a9850"
    assert score_colour(float("nan")) == "#999999"


def test_repr_html_tables(demo: am.Inventory, hostile: am.Inventory, tmp_path: Path) -> None:
    res = am.match(HENGZHONG, inventory=demo, top=5)
    h = res._repr_html_()
    assert "<table" in h and "TS-0001" in h and "泰丰闲置厂区" in h
    assert "near misses" in h
    inv_h = hostile._repr_html_()
    assert "assets by status and district" in inv_h
    assert "<script>" not in inv_h
    bad = pd.DataFrame(
        {"asset_id": ["B-1", "<b>B-2</b>"], "lon": [118.86, "x"], "lat": [24.95, 24.95]}
    )
    rep = hostile.add(bad, at="2024-02-01")
    rh = rep._repr_html_()
    assert "1 created" in rh and "1 rows rejected" in rh
    assert "&lt;b&gt;B-2&lt;/b&gt;" in rh and "<b>B-2</b>" not in rh


def test_missing_folium_is_a_plot_dependency_error(
    hostile: am.Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "folium", None)  # import folium now fails
    with pytest.raises(am.PlotDependencyError, match=r"assetmatch\[plot\]"):
        hostile.explore()


def test_static_map(hostile: am.Inventory) -> None:
    from assetmatch.maps import plot_assets

    a = hostile.assets()
    fig = plot_assets(a)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["available", "idle", "low_efficiency", "site known only by a point"]
    assert "1 km" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(am.ValidationError, match="projected"):
        plot_assets(a.to_crs("EPSG:4490"))
