"""Geographic inputs accepted everywhere: lon/lat assets are projected by the store's rule."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS
from assetmatch.domain.landuse_paths import example_zone_policy, with_zone_rules
from conftest import LAT0, LON0, geodesic_area_m2, square_lonlat


@pytest.fixture(scope="module")
def demo():
    return am.Inventory.demo()


@pytest.fixture(scope="module")
def some(demo):
    """Twelve demo assets (EPSG:4549), the firms and the reference layers."""
    layers = {n: demo.layer(n) for n in demo.layers()}
    return demo.assets().iloc[:12], demo.firms(), layers


@pytest.mark.parametrize("lonlat", ["EPSG:4326", "EPSG:4490"])
def test_context_features_of_lonlat_assets_equal_the_projected_ones(some, lonlat, caplog):
    assets, firms, layers = some
    expected = am.context_features(assets, firms, layers=layers)
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        got = am.context_features(
            assets.to_crs(lonlat),
            firms.to_crs(lonlat),
            layers={n: g.to_crs(lonlat) for n, g in layers.items()},
        )
    # the rule chose the demo store's own CRS (CGCS2000 3° GK zone 120°E) and said so
    assert f"assets: 12 in {lonlat}" in caplog.text
    assert "projected to EPSG:4549" in caplog.text
    num = expected.select_dtypes("number").columns
    np.testing.assert_allclose(got[num].to_numpy(), expected[num].to_numpy(), atol=1e-2)
    assert list(got.index) == list(expected.index)


def test_lonlat_assets_with_projected_firms(some):
    assets, firms, _ = some
    expected = am.context_features(assets, firms)
    got = am.context_features(assets.to_crs("EPSG:4490"), firms)
    num = expected.select_dtypes("number").columns
    np.testing.assert_allclose(got[num].to_numpy(), expected[num].to_numpy(), atol=1e-2)


def test_the_zone_west_of_118_5_gets_the_117_strip(some, caplog):
    assets, firms, _ = some
    west = assets.to_crs("EPSG:4490").translate(xoff=-0.6)  # about 118.2°E
    frame = assets.to_crs("EPSG:4490").set_geometry(west)
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        am.context_features(frame, firms.to_crs("EPSG:4490"))
    assert "projected to EPSG:4548" in caplog.text  # CGCS2000 3° GK zone 117°E


def test_match_on_lonlat_assets_ranks_as_on_projected(some, caplog):
    assets, firms, layers = some
    ctx = am.context_features(assets, firms, layers=layers)
    brief = {**PUBLIC_BRIEFS["hengzhong"], "land_area_mu": [10, 200]}
    zone = {"landuse_paths": with_zone_rules(example_zone_policy())}  # the demo zone's rules
    expected = am.match(brief, assets=assets, context=ctx, as_of="2024-06-30", model=zone)
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        got = am.match(
            brief, assets=assets.to_crs("EPSG:4326"), context=ctx, as_of="2024-06-30", model=zone
        )
    assert "projected to EPSG:4549" in caplog.text
    assert len(expected.table) >= 2
    assert list(got.table["asset_id"]) == list(expected.table["asset_id"])
    np.testing.assert_allclose(got.table["score"], expected.table["score"], atol=1e-6)
    assert got.to_dict()["inventory"]["crs"] == "EPSG:4549"


def test_an_empty_inventory_gives_an_empty_result_with_a_clear_message(tmp_path):
    inv = am.Inventory.open(tmp_path / "empty.gpkg")
    assert inv.context().empty
    res = am.match(PUBLIC_BRIEFS["hengzhong"], inventory=inv, lang="en")
    assert res.table.empty and res.near_misses.empty
    assert res.counts == {"n_assets": 0, "n_offerable": 0, "n_eligible": 0}
    assert res.message.startswith("the inventory has no assets: nothing to rank")
    assert res.display("zh").startswith("库中没有资产，无可推荐")
    assert res.to_dict()["results"] == []
    assert "no CRS" not in res.to_json()


def test_empty_lonlat_assets_give_an_empty_result():
    empty = pd.DataFrame({"asset_id": pd.Series([], dtype=object)})
    gdf = gpd.GeoDataFrame(empty, geometry=[], crs="EPSG:4326")
    res = am.match(PUBLIC_BRIEFS["hengzhong"], assets=gdf)
    assert res.table.empty
    assert res.message.startswith("库中没有资产")


def test_match_on_lonlat_boundaries_derives_their_land_area():
    # two squares of about 400 m and 250 m a side, in CGCS2000 lon/lat, no areas given
    geoms = [square_lonlat(LON0, LAT0, 400), square_lonlat(LON0 + 0.01, LAT0, 250)]
    sites = gpd.GeoDataFrame(
        {"asset_id": ["BIG", "SMALL"], "status": ["available"] * 2}, geometry=geoms, crs=4490
    )
    res = am.match({"land_area_mu": [200, 300], "must": []}, assets=sites, as_of="2024-06-30")
    expected_mu = [geodesic_area_m2(g) / am.MU_M2 for g in geoms]  # about 240 and 94 mu
    got = res.table.set_index("asset_id")["land_area_mu"]
    assert got["BIG"] == pytest.approx(expected_mu[0], abs=0.1)
    assert "SMALL" not in got.index  # 94 mu is beyond 25 % of 200 mu: a near miss
    nm = res.near_misses.set_index("asset_id")
    assert nm.loc["SMALL", "failed"] == "size"
    assert nm.loc["SMALL", "detail"].startswith(f"{expected_mu[1]:.1f} 亩，低于要求 200–300 亩")
