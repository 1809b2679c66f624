"""Tests of assetmatch.webmap: GCJ-02 and BD-09 web-map coordinates."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from assetmatch.geo import webmap

GEOD = pyproj.Geod(ellps="WGS84")

# Published reference pairs of the eviltransform project's test suite
# (wgs lat, wgs lon, gcj lat, gcj lon): Shanghai, Shenzhen, Beijing.
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.fixture(scope="module")
def china_points():
    rng = np.random.default_rng(20240601)
    return rng.uniform(73.5, 135.0, 20_000), rng.uniform(18.0, 53.5, 20_000)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_PAIRS)
def test_forward_matches_published_reference(wlat, wlon, glat, glon):
    lon, lat = webmap.wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_PAIRS)
def test_inverse_recovers_published_reference(wlat, wlon, glat, glon):
    lon, lat = webmap.gcj02_to_wgs84(glon, glat)
    assert lon == pytest.approx(wlon, abs=1e-9)
    assert lat == pytest.approx(wlat, abs=1e-9)


def _metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_gcj02_round_trip_is_under_a_centimetre(china_points):
    lon, lat = china_points
    glon, glat = webmap.wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = webmap.gcj02_to_wgs84(glon, glat)
    assert np.max(_metres(lon, lat, back_lon, back_lat)) < 0.01
    assert np.max(np.abs(back_lon - lon)) < 1e-9 and np.max(np.abs(back_lat - lat)) < 1e-9


def test_bd09_round_trip_is_under_a_centimetre(china_points):
    lon, lat = china_points
    blon, blat = webmap.wgs84_to_bd09(lon, lat)
    back_lon, back_lat = webmap.bd09_to_wgs84(blon, blat)
    assert np.max(_metres(lon, lat, back_lon, back_lat)) < 0.01
    glon, glat = webmap.gcj02_to_bd09(lon, lat)
    g2lon, g2lat = webmap.bd09_to_gcj02(glon, glat)
    assert np.max(_metres(lon, lat, g2lon, g2lat)) < 0.01


def test_the_offset_in_quanzhou_is_hundreds_of_metres():
    # the investment zone near 118.68°E, 24.87°N
    glon, glat = webmap.wgs84_to_gcj02(118.68, 24.87)
    gcj_offset = _metres(118.68, 24.87, glon, glat)
    assert 300 < gcj_offset < 900
    blon, blat = webmap.wgs84_to_bd09(118.68, 24.87)
    assert 700 < _metres(118.68, 24.87, blon, blat) < 2000
    # BD-09 adds about (0.0065°, 0.006°) to GCJ-02
    assert blon - glon == pytest.approx(0.0065, abs=0.0005)
    assert blat - glat == pytest.approx(0.006, abs=0.0005)


def test_points_outside_china_are_unchanged():
    lon = np.array([2.3522, -74.006, 151.2093, 139.69])
    lat = np.array([48.8566, 40.7128, -33.8688, 35.69])  # Paris, New York, Sydney, Tokyo
    glon, glat = webmap.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(glon, lon)
    np.testing.assert_array_equal(glat, lat)
    wlon, wlat = webmap.gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(wlon, lon)
    np.testing.assert_array_equal(wlat, lat)
    assert webmap.out_of_china(lon, lat).all()
    assert not webmap.out_of_china(118.68, 24.87)


def test_scalars_arrays_shapes_and_nan():
    lon, lat = webmap.gcj02_to_wgs84(118.6, 24.9)
    assert isinstance(lon, float) and isinstance(lat, float)
    grid_lon = np.array([[118.6, np.nan], [120.0, 121.0]])
    grid_lat = np.array([[24.9, 24.9], [np.nan, 31.0]])
    out_lon, out_lat = webmap.bd09_to_wgs84(grid_lon, grid_lat)
    assert out_lon.shape == (2, 2) and out_lat.shape == (2, 2)
    assert np.isnan(out_lon[0, 1]) and np.isnan(out_lat[1, 0])
    assert np.isfinite(out_lon[1, 1]) and np.isfinite(out_lat[1, 1])


def test_to_wgs84_dispatch():
    lon = np.array([118.6, 118.7])
    lat = np.array([24.9, 24.95])
    for system in ("wgs84", "CGCS2000", "WGS-84"):
        out = webmap.to_wgs84(lon, lat, system)
        np.testing.assert_array_equal(out[0], lon)
    np.testing.assert_array_equal(
        webmap.to_wgs84(lon, lat, "gcj02")[0], webmap.gcj02_to_wgs84(lon, lat)[0]
    )
    np.testing.assert_array_equal(
        webmap.to_wgs84(lon, lat, "BD-09")[1], webmap.bd09_to_wgs84(lon, lat)[1]
    )
    with pytest.raises(ValueError, match=r"'system' parameter of to_wgs84.*'baidu'"):
        webmap.to_wgs84(lon, lat, "baidu")
