"""Bounding-box reads through the store's spatial index, on both stores (issue 12).

The expected answer is computed independently with geopandas on the full asset table: every
asset whose geometry intersects the rectangle (converted edge by edge for a lon/lat box).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import assetmatch as am


@pytest.fixture(scope="module")
def zone_frames():
    from assetmatch.demo.zone import generate_zone

    return generate_zone(seed=11, n_assets=300, n_firms=20)


@pytest.fixture
def inv(new_store, zone_frames):
    inventory = am.Inventory.open(new_store())
    inventory.add(zone_frames.assets, at="2024-01-01", on_error="raise")
    yield inventory
    inventory.close()


def expected_ids(inv: am.Inventory, rect: shapely.Polygon, crs) -> list[str]:
    everything = inv.assets()
    area = gpd.GeoSeries([rect], crs=crs).segmentize(
        max(rect.bounds[2] - rect.bounds[0], rect.bounds[3] - rect.bounds[1]) / 64
    )
    shape = area.to_crs(everything.crs).iloc[0]
    return list(everything.index[everything.intersects(shape)])


def test_a_projected_box_finds_what_geopandas_finds(inv):
    a = inv.assets()
    minx, miny, maxx, maxy = a.total_bounds
    rect = shapely.box(
        minx + 0.3 * (maxx - minx),
        miny + 0.2 * (maxy - miny),
        minx + 0.6 * (maxx - minx),
        miny + 0.7 * (maxy - miny),
    )
    got = inv.within(rect.bounds)
    want = expected_ids(inv, rect, a.crs)
    assert 0 < len(want) < len(a)
    assert list(got.index) == want  # the inventory's order
    assert list(got.columns) == list(a.columns)
    # a row reads as assets() gives it
    aid = want[0]
    assert got.at[aid, "land_area_m2"] == a.at[aid, "land_area_m2"]


def test_a_lon_lat_box_follows_its_edges(inv):
    a = inv.assets()
    lon0, lat0, lon1, lat1 = a.to_crs("EPSG:4490").total_bounds
    rect = shapely.box(lon0, lat0, (lon0 + lon1) / 2, (lat0 + lat1) / 2)
    got = inv.within(rect.bounds, crs="EPSG:4490")
    want = expected_ids(inv, rect, "EPSG:4490")
    assert want and list(got.index) == want


def test_a_box_outside_everything_is_empty_and_bad_boxes_are_refused(inv):
    far = inv.within((100.0, 10.0, 100.1, 10.1), crs="EPSG:4490")
    assert far.empty and list(far.columns) == list(inv.assets().columns)
    for bad in [(1, 2, 3), (3, 0, 1, 1), (0, 0, np.nan, 1), "box"]:
        with pytest.raises(am.ValidationError, match="bounds"):
            inv.within(bad)
    with pytest.raises(am.CRSError):
        inv.within((0, 0, 1, 1), crs="EPSG:0")


def test_the_store_answers_from_its_spatial_index(inv, store_kind):
    if store_kind == "gpkg":
        from assetmatch.store.gpkg import ASSETS_IN_BOX_SQL

        plan = " ".join(
            str(r[-1])
            for r in inv._store.conn.execute(
                "EXPLAIN QUERY PLAN " + ASSETS_IN_BOX_SQL, (0, 1e6, 0, 1e7)
            ).fetchall()
        )
        assert "SCAN r VIRTUAL TABLE INDEX" in plan, plan  # r: the R-tree, searched by box
        return
    conn = inv._store._pool.getconn()
    try:
        conn.execute("SET enable_seqscan = off")  # 300 rows: the planner would rather scan
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT asset_id FROM assets WHERE geom && ST_MakeEnvelope(0, 0, 1e6, 1e7)"
            ).fetchall()
        )
        conn.rollback()
    finally:
        inv._store._pool.putconn(conn)
    assert "assets_geom_gist" in plan, plan
