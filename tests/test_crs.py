"""Tests of assetmatch.crs: CRS choice, ground areas, axis and zone mistakes, GeoPackage CRSs."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon, box

from assetmatch import CRSError
from assetmatch.geo import crs as crs_rules

GEOD = pyproj.Geod(ellps="GRS80")  # CGCS2000 and WGS 84 ellipsoids differ by 0.1 mm in b


def geodesic_area(poly_projected, crs):
    """Independent reference: densify in the projection, then pyproj.Geod on lon/lat."""
    to_ll = pyproj.Transformer.from_crs(crs, CRS.from_epsg(4490), always_xy=True)
    dense = shapely.segmentize(poly_projected, 10.0)
    ll = shapely.transform(dense, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
    return abs(GEOD.geometry_area_perimeter(ll)[0])


# --------------------------------------------------------------------------- require_crs


def test_require_crs_names_what_has_none():
    with pytest.raises(CRSError, match=r"the parcels has no CRS; set one with \.set_crs\("):
        crs_rules.require_crs(gpd.GeoSeries([Point(0, 0)]), "the parcels")
    with pytest.raises(CRSError, match="has no CRS"):
        crs_rules.require_crs(None, "the parcels")
    assert crs_rules.require_crs(gpd.GeoSeries([Point(0, 0)], crs=4549), "x").to_epsg() == 4549
    assert crs_rules.require_crs("EPSG:4490", "x").to_epsg() == 4490


# --------------------------------------------------------------------------- choose


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (118.8, 24.9, 4549),  # Quanzhou investment zone: CM 120°E
        (118.4, 24.9, 4548),  # Quanzhou western counties: CM 117°E
        (118.5, 24.9, 4549),  # the zone boundary belongs to the eastern zone
        (116.4, 39.9, 4548),  # Beijing, CM 117°E
        (121.47, 31.23, 4549),  # Shanghai, CM 120°E
        (87.6, 43.8, 4538),  # Urumqi, CM 87°E
        (2.35, 48.85, 32631),  # Paris: UTM 31N
        (151.2, -33.9, 32756),  # Sydney: UTM 56S
    ],
)
def test_choose_projected_crs(lon, lat, epsg):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chosen = crs_rules.choose_projected_crs(np.array([lon]), np.array([lat]))
    assert chosen.to_epsg() == epsg


def test_choose_projected_crs_uses_the_median_and_ignores_nan():
    lon = np.array([118.7, 118.8, 118.9, np.nan])
    lat = np.array([24.8, 24.9, 25.0, 24.9])
    assert crs_rules.choose_projected_crs(lon, lat).to_epsg() == 4549
    with pytest.raises(ValueError, match="finite"):
        crs_rules.choose_projected_crs([np.nan], [np.nan])


def test_choose_projected_crs_warns_when_data_span_more_than_a_zone():
    with pytest.warns(UserWarning, match=r"span 8\.8° of longitude.*more than one 3° zone"):
        crs_rules.choose_projected_crs([110.0, 118.8, 118.8], [24.0, 25.0, 25.0])


# --------------------------------------------------------------------------- areas


@pytest.mark.parametrize(
    ("epsg", "easting", "planar_error_above"),
    [
        (4549, 500_000, 0.0),  # GK zone centre
        (4549, 650_000, 4e-4),  # GK 3° zone edge (about 1.5° from the central meridian)
        (32650, 500_000, 7e-4),  # UTM centre: k0 = 0.9996
        (32650, 800_000, 1e-3),  # UTM zone edge near 120°E
        (32650, 830_000, 1e-3),  # beyond the UTM edge
    ],
)
def test_ground_area_matches_geodesic_area(epsg, easting, planar_error_above):
    crs = CRS.from_epsg(epsg)
    parcels = [
        box(easting, 2_750_000, easting + 3_000, 2_752_000),  # 3 km × 2 km
        Polygon([(easting, 2_760_000), (easting + 800, 2_760_100), (easting + 400, 2_760_900)]),
        box(easting - 50, 2_770_000, easting + 50, 2_770_080),  # a 0.8 ha plot
    ]
    ground = crs_rules.ground_area_m2(gpd.GeoSeries(parcels, crs=crs), crs)
    for poly, area in zip(parcels, ground, strict=True):
        reference = geodesic_area(poly, crs)
        assert abs(area - reference) / reference < 1e-4
        assert abs(poly.area - reference) / reference >= planar_error_above


def test_ground_area_of_a_square_in_cgcs2000_degrees():
    square = box(118.8, 24.9, 118.81, 24.91)  # ~1 km square in the investment zone
    area = crs_rules.ground_area_m2(np.array([square]), "EPSG:4490")[0]
    reference = abs(GEOD.geometry_area_perimeter(shapely.segmentize(square, 1e-4))[0])
    assert abs(area - reference) / reference < 1e-4
    assert area == pytest.approx(1_119_097, rel=1e-4)


def test_ground_area_in_a_crs_in_us_feet():
    crs = CRS.from_epsg(2227)  # NAD83 / California zone 3 (ftUS)
    to_ft = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = to_ft.transform(-122.0, 37.5)
    poly = box(x, y, x + 3000.0, y + 2000.0)
    area = crs_rules.ground_area_m2([poly], crs)[0]
    to_ll = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    dense = shapely.segmentize(poly, 30.0)
    ll = shapely.transform(dense, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))
    reference = abs(pyproj.Geod(ellps="GRS80").geometry_area_perimeter(ll)[0])
    assert abs(area - reference) / reference < 1e-4


def test_ground_area_is_nan_for_points_lines_empty_and_missing():
    geoms = [Point(500_000, 2_750_000), LineString([(0, 0), (1, 1)]), Polygon(), None]
    area = crs_rules.ground_area_m2(geoms, 4549)
    assert np.isnan(area).all()
    with pytest.raises(CRSError, match="has no CRS"):
        crs_rules.ground_area_m2([box(0, 0, 1, 1)], None)


def test_to_lonlat_from_a_projected_crs():
    parcel = box(500_000, 2_750_000, 501_000, 2_751_000)
    lon, lat = crs_rules.to_lonlat(gpd.GeoSeries([parcel, None], crs=4549))
    assert lon[0] == pytest.approx(120.005, abs=0.001)
    assert lat[0] == pytest.approx(24.86, abs=0.01)
    assert np.isnan(lon[1]) and np.isnan(lat[1])
    lon2, lat2 = crs_rules.to_lonlat(gpd.GeoSeries([Point(118.8, 24.9)], crs=4326))
    assert (lon2[0], lat2[0]) == (118.8, 24.9)


# --------------------------------------------------------------------------- mistakes


def test_swapped_axes_in_a_geographic_crs():
    x = np.array([118.8, 24.9, 60.0, 10.0, np.nan, 95.0])
    y = np.array([24.9, 118.8, 100.0, 120.0, 24.9, 20.0])
    swapped = crs_rules.detect_swapped_axes(x, y, "EPSG:4490")
    assert swapped.tolist() == [False, True, True, True, False, False]


def test_swapped_axes_in_gauss_kruger_without_zone_prefix():
    # survey order (north, east) given as (x, y)
    x = np.array([512_345.0, 2_755_000.0, 512_345.0])
    y = np.array([2_755_000.0, 512_345.0, np.nan])
    swapped = crs_rules.detect_swapped_axes(x, y, 4549)
    assert swapped.tolist() == [False, True, False]
    assert crs_rules.detect_swapped_axes(x, y, 32650).tolist() == [False, True, False]


def test_swapped_axes_in_gauss_kruger_with_zone_prefix():
    x = np.array([40_512_345.0, 2_755_000.0])
    y = np.array([2_755_000.0, 40_512_345.0])
    assert crs_rules.detect_swapped_axes(x, y, 4528).tolist() == [False, True]


def test_swapped_axes_are_not_guessed_in_other_projections():
    assert not crs_rules.detect_swapped_axes([2_755_000.0], [512_345.0], 3857).any()


def test_zone_prefix_given_with_a_no_prefix_crs():
    message = crs_rules.detect_zone_prefix(np.array([40_512_345.0, 40_498_000.0]), 4549)
    assert message is not None
    assert "zone number 40" in message and "EPSG:4528" in message
    assert "subtract 40,000,000 m" in message


def test_no_prefix_given_with_a_zone_prefix_crs():
    message = crs_rules.detect_zone_prefix([512_345.0], "EPSG:4528")
    assert message is not None and "no zone number" in message and "EPSG:4549" in message


def test_zone_prefix_of_another_zone_is_explained():
    message = crs_rules.detect_zone_prefix([39_512_345.0], 4549)
    assert message is not None and "EPSG:4527" in message and "117°E" in message
    message = crs_rules.detect_zone_prefix([39_512_345.0], 4528)
    assert message is not None and "zone number 39" in message and "zone 40" in message


def test_six_degree_zone_prefix():
    message = crs_rules.detect_zone_prefix([20_612_345.0], 4510)  # CGCS2000 GK CM 117E (6°)
    assert message is not None and "EPSG:4498" in message  # CGCS2000 GK zone 20


def test_zone_prefix_fine_cases():
    assert crs_rules.detect_zone_prefix([512_345.0], 4549) is None
    assert crs_rules.detect_zone_prefix([40_512_345.0], 4528) is None
    assert crs_rules.detect_zone_prefix([np.nan], 4549) is None
    assert crs_rules.detect_zone_prefix([40_512_345.0], 3857) is None


# --------------------------------------------------------------------------- GeoPackage


def test_crs_to_gpkg_for_an_epsg_crs():
    org, code, wkt = crs_rules.crs_to_gpkg(CRS.from_epsg(4549))
    assert (org, code) == ("EPSG", 4549)
    assert wkt.startswith('PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 120E"')
    assert crs_rules.crs_from_gpkg(org, code, wkt) == CRS.from_epsg(4549)


def test_crs_to_gpkg_never_relabels_a_custom_crs():
    custom = CRS.from_proj4(
        "+proj=tmerc +lat_0=0 +lon_0=118.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )
    assert custom.to_epsg(min_confidence=20) is not None  # a guess exists …
    org, code, wkt = crs_rules.crs_to_gpkg(custom)
    assert (org, code) == ("NONE", None)  # … and is not used
    back = crs_rules.crs_from_gpkg(org, code, wkt)
    assert back.equals(custom)
    assert back.to_authority(min_confidence=100) is None


def test_crs_from_gpkg_undefined_systems():
    with pytest.raises(CRSError, match="undefined"):
        crs_rules.crs_from_gpkg("NONE", -1, "undefined")
    with pytest.raises(CRSError, match="unreadable definition"):
        crs_rules.crs_from_gpkg("NONE", None, "PROJCS[nonsense")
    assert crs_rules.crs_from_gpkg("epsg", 4490, "").to_epsg() == 4490


def test_objects_made_once_per_crs_give_what_fresh_ones_give():
    """geo.crs keeps the transformers, Proj and geodetic CRSs it makes by the text each CRS was
    made from: a warm call equals a cold one, for the same CRS given as EPSG code or WKT."""
    from assetmatch.geo import crs as crs_rules

    geoms = np.array(
        [shapely.box(373000, 2759000, 373100, 2759250), shapely.Point(374000, 2760000)],
        dtype=object,
    )
    for crs in (CRS.from_epsg(4549), CRS.from_wkt(CRS.from_epsg(4549).to_wkt())):
        crs_rules._MADE.clear()
        cold = (
            crs_rules.ground_area_m2(geoms, crs),
            crs_rules._xy_to_lonlat(np.array([373000.0]), np.array([2759000.0]), crs),
        )
        assert crs_rules._MADE  # made and kept
        warm = (
            crs_rules.ground_area_m2(geoms, crs),
            crs_rules._xy_to_lonlat(np.array([373000.0]), np.array([2759000.0]), crs),
        )
        np.testing.assert_array_equal(cold[0], warm[0])
        np.testing.assert_array_equal(np.asarray(cold[1]), np.asarray(warm[1]))
        assert crs_rules._lonlat_target(crs) == CRS.from_epsg(4490)
