"""``prepare_assets`` checks the geometry in a second thread beside the values (from
``PARALLEL_ROWS`` rows on): the same frame, report and errors as one after the other."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon

from assetmatch import CRSError, ValidationError
from assetmatch.demo.zone import generate_zone
from assetmatch.ingest import pipeline as ingest


def _messy_zone() -> gpd.GeoDataFrame:
    """A demo zone with rows bad in their values, their geometry or both, and a bow-tie to
    repair, so that problems of both halves interleave in the report."""
    zone = generate_zone(seed=9, n_assets=120, n_firms=20).assets.copy()
    geoms = zone.geometry.to_numpy().copy()
    x, y = geoms[3].centroid.x, geoms[3].centroid.y
    d = 0.0005
    geoms[3] = Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d)])  # bow-tie: repaired
    geoms[5] = LineString([(x, y), (x + d, y)])  # no area: refused
    geoms[7] = None  # missing: refused
    zone = zone.set_geometry(gpd.GeoSeries(geoms, index=zone.index, crs=zone.crs))
    zone["floors"] = zone["floors"].astype(object)
    zone.loc[zone.index[[5, 11]], "floors"] = "many"  # refused value (row 5: both halves)
    zone["status"] = zone["status"].astype(object)
    zone.loc[zone.index[13], "status"] = "on the moon"
    zone.loc[zone.index[17], "asset_id"] = zone.loc[zone.index[16], "asset_id"]  # duplicate id
    return zone


def _prepared(monkeypatch, frame, parallel: bool, **kw):
    monkeypatch.setattr(ingest, "PARALLEL_ROWS", 0 if parallel else 10**12)
    return ingest.prepare_assets(frame, **kw)


@pytest.mark.parametrize("store_crs", [None, "EPSG:4549"])
def test_checks_beside_each_other_give_what_checks_in_turn_give(monkeypatch, store_crs):
    zone = _messy_zone()
    crs = None if store_crs is None else ingest.CRS.from_user_input(store_crs)
    one, two = (_prepared(monkeypatch, zone, p, store_crs=crs) for p in (False, True))
    assert len(one.report.rejected) >= 5 and len(one.report.repaired) == 1
    for name in ("rejected", "notes", "repaired"):
        pd.testing.assert_frame_equal(getattr(two.report, name), getattr(one.report, name))
    assert two.given == one.given and two.crs == one.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(two.frame.drop(columns="geometry")),
        pd.DataFrame(one.frame.drop(columns="geometry")),
    )
    assert two.frame.geometry.geom_equals_exact(one.frame.geometry, tolerance=0).all()
    assert np.array_equal(two.frame.index, one.frame.index)


def test_an_error_of_the_values_comes_before_one_of_the_geometry(monkeypatch):
    """No id column and no CRS: the missing ids are reported, as when the values are checked
    first; the geometry's own error when the ids are there."""
    zone = generate_zone(seed=9, n_assets=30, n_firms=20).assets
    bare = zone.drop(columns="asset_id").set_crs(None, allow_override=True)
    for parallel in (False, True):
        with pytest.raises(ValidationError, match="no asset id column"):
            _prepared(monkeypatch, bare, parallel, store_crs=None)
        with pytest.raises(CRSError):
            _prepared(monkeypatch, bare.assign(asset_id=zone["asset_id"]), parallel, store_crs=None)
