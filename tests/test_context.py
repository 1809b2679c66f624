"""Tests of assetmatch.context: exact counts and distances, CRS rules, refresh, dask."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from assetmatch import ClusterError, CRSError, UnknownAssetError, ValidationError
from assetmatch.context import FirmIndex, context_features, dask_engine, refresh_context
from assetmatch.domain.industry import ConflictRule

CRS_M = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres
X0, Y0 = 500_000.0, 2_750_000.0  # near the zone, in EPSG:4549
NO_RULES: list[ConflictRule] = []


def _assets(geoms: list, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = ids or [f"A{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"asset_id": ids}, geometry=geoms, crs=CRS_M)


def _firms(xy: list[tuple[float, float]], industries: list[str]) -> gpd.GeoDataFrame:
    xs, ys = zip(*xy, strict=True)
    return gpd.GeoDataFrame(
        {"firm_id": [f"F{i}" for i in range(len(xy))], "industry": industries},
        geometry=shapely.points(xs, ys),
        crs=CRS_M,
    )


def _square() -> gpd.GeoDataFrame:
    """One 600 m x 600 m parcel with its lower-left corner at (X0, Y0)."""
    return _assets([shapely.box(X0, Y0, X0 + 600, Y0 + 600)], ["SQ"])


# ---------------------------------------------------------------------------------------------
# hand-made cases


def test_distance_is_from_the_boundary_not_the_centroid() -> None:
    firms = _firms(
        [
            (X0 + 800, Y0 + 300),  # 200 m east of the east edge (500 m from the centroid)
            (X0 + 300, Y0 + 300),  # inside
            (X0 + 300, Y0 + 1600),  # exactly 1000 m north of the north edge
            (X0 + 300, Y0 + 1600.01),  # just beyond 1000 m
            (X0 + 600 + 3000 * np.cos(0.3), Y0 + 600 + 3000 * np.sin(0.3)),  # 3 km off a corner
        ],
        ["C19", "C19", "C26", "C26", "P83"],
    )
    ctx = context_features(_square(), firms, conflicts=NO_RULES)
    row = ctx.loc["SQ"]
    assert ctx.index.name == "asset_id"
    assert row["n_C19_1000m"] == 2
    assert row["nearest_C19_m"] == 0.0
    assert row["n_C26_1000m"] == 1  # d <= r: the firm exactly at 1000 m counts
    assert row["n_C26_3000m"] == 2
    assert row["nearest_C26_m"] == 1000.0
    assert row["n_P83_1000m"] == 0
    assert row["nearest_P83_m"] == pytest.approx(3000.0, abs=1e-9)
    assert row["n_P83_3000m"] in (0, 1)  # 3000 up to rounding of cos/sin, decided exactly:
    assert row["n_P83_3000m"] == int(
        shapely.distance(firms.geometry.iloc[4], _square().geometry.iloc[0]) <= 3000
    )
    assert row["n_P83_5000m"] == 1
    assert row["centroid_x"] == X0 + 300 and row["centroid_y"] == Y0 + 300
    assert row["equiv_radius_m"] == pytest.approx(600 / np.sqrt(np.pi))
    h = 2000.0
    assert row["presence_C19"] == pytest.approx(1 + np.exp(-((200 / h) ** 2)))
    assert row["presence_C26"] == pytest.approx(np.exp(-0.25) + np.exp(-((1000.01 / h) ** 2)))
    assert ctx["n_C19_1000m"].dtype == np.int32
    assert ctx["nearest_C19_m"].dtype == np.float64


def test_firm_200m_outside_is_200m_not_500m() -> None:
    firms = _firms([(X0 + 800, Y0 + 300)], ["C19"])
    ctx = context_features(_square(), firms, radii_m=(200, 499), conflicts=NO_RULES)
    assert ctx.loc["SQ", "nearest_C19_m"] == 200.0
    assert ctx.loc["SQ", "n_C19_200m"] == 1
    assert list(ctx.columns[3:5]) == ["n_C19_200m", "n_C19_499m"]


def test_nearest_beyond_the_radii_and_missing_industry() -> None:
    firms = _firms([(X0 + 600 + 25_000, Y0 + 300), (X0 - 100, Y0)], ["C22", "C19"])
    ctx = context_features(_square(), firms, industries=["C22", "C19", "C39"], conflicts=NO_RULES)
    assert ctx.loc["SQ", "nearest_C22_m"] == 25_000.0
    assert ctx.loc["SQ", "n_C22_5000m"] == 0
    assert ctx.loc["SQ", "presence_C22"] == 0.0
    assert ctx.loc["SQ", "nearest_C19_m"] == 100.0
    assert ctx.loc["SQ", "nearest_C39_m"] == np.inf  # no firm of that industry at all
    assert ctx.loc["SQ", "n_C39_1000m"] == 0


def test_finer_codes_and_levels() -> None:
    firms = _firms([(X0 + 700, Y0), (X0 + 700, Y0 + 10), (X0 + 900, Y0)], ["C1921", "C1952", "c19"])
    by_div = context_features(_square(), firms, radii_m=(1000,), conflicts=NO_RULES)
    assert by_div.loc["SQ", "n_C19_1000m"] == 3
    fine = context_features(
        _square(), firms, radii_m=(1000,), industries=["C19", "C1921"], conflicts=NO_RULES
    )
    assert fine.loc["SQ", "n_C19_1000m"] == 3
    assert fine.loc["SQ", "n_C1921_1000m"] == 1
    by_code = context_features(_square(), firms, radii_m=(1000,), level="code", conflicts=NO_RULES)
    assert [c for c in by_code.columns if c.startswith("n_")] == [
        "n_C19_1000m",
        "n_C1921_1000m",
        "n_C1952_1000m",
    ]
    assert by_code.loc["SQ", "n_C19_1000m"] == 3  # 'C19' also contains its classes


def test_point_assets_and_index_named_asset_id() -> None:
    assets = gpd.GeoDataFrame(
        geometry=[shapely.Point(X0, Y0)], index=pd.Index(["P1"], name="asset_id"), crs=CRS_M
    )
    firms = _firms([(X0 + 300, Y0 + 400)], ["C39"])
    ctx = context_features(assets, firms, radii_m=(500,), conflicts=NO_RULES)
    assert ctx.loc["P1", "nearest_C39_m"] == 500.0
    assert ctx.loc["P1", "n_C39_500m"] == 1
    assert ctx.loc["P1", "equiv_radius_m"] == 0.0


def test_access_layers() -> None:
    layers = {
        "highway_exit": gpd.GeoDataFrame(
            geometry=[shapely.Point(X0 - 1000, Y0 + 300), shapely.Point(X0 + 5000, Y0)], crs=CRS_M
        ),
        "port": gpd.GeoDataFrame(geometry=[], crs=CRS_M),
    }
    ctx = context_features(
        _square(), _firms([(X0, Y0)], ["C19"]), layers=layers, conflicts=NO_RULES
    )
    assert ctx.loc["SQ", "access_highway_exit_m"] == 1000.0
    assert ctx.loc["SQ", "access_port_m"] == np.inf


def test_conflict_columns_and_breaches() -> None:
    rules = [
        ConflictRule("C26", "P83", 1000),
        ConflictRule("C26", "residential", 800),
        ConflictRule("C22", "C14", 500),
    ]
    firms = _firms(
        [(X0 + 1500, Y0 + 300), (X0 - 400, Y0), (X0 + 300, Y0 - 499)], ["C2661", "P83", "C22"]
    )
    layers = {
        "residential": gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 300, Y0 + 1300)], crs=CRS_M)
    }
    ctx = context_features(_square(), firms, conflicts=rules, layers=layers)
    row = ctx.loc["SQ"]
    assert row["conflict_C26_nearest_m"] == 900.0
    assert row["conflict_C26_nearest_firm"] == "F0"
    assert row["conflict_P83_nearest_m"] == 400.0
    assert row["conflict_C14_nearest_m"] == np.inf
    assert row["conflict_C14_nearest_firm"] is None
    assert bool(row["breach_P83_near_C26"])  # a school here would be 900 m < 1000 m from C26
    assert bool(row["breach_C26_near_P83"])  # chemicals here would be 400 m from a school
    assert not bool(row["breach_residential_near_C26"])  # 900 >= 800
    assert bool(row["breach_C26_near_residential"])  # housing 700 m away < 800 m
    assert bool(row["breach_C14_near_C22"])  # C22 499 m away < 500 m
    assert not bool(row["breach_C22_near_C14"])
    flags = [c for c in ctx.columns if c.startswith("breach_")]
    assert row["conflicts_breached"] == sum(bool(row[c]) for c in flags) == 4
    assert "nearest_C26_m" in ctx.columns  # firms' own industries are still reported
    no_layer = context_features(_square(), firms, conflicts=rules)
    assert "breach_C26_near_residential" not in no_layer.columns
    assert "breach_residential_near_C26" in no_layer.columns


def test_context_columns_are_the_table_context_features_builds() -> None:
    """The frameless columns an edit patches the kept table with equal the frame's."""
    from assetmatch.context.engine import context_columns

    rules = [ConflictRule("C26", "P83", 1000), ConflictRule("C26", "residential", 800)]
    firms = _firms(
        [(X0 + 1500, Y0 + 300), (X0 - 400, Y0), (X0 + 300, Y0 - 499)], ["C2661", "P83", "C22"]
    )
    layers = {
        "residential": gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 300, Y0 + 1300)], crs=CRS_M)
    }
    parcels = _assets(
        [shapely.box(X0, Y0, X0 + 600, Y0 + 600), shapely.Point(X0 + 9000, Y0 - 7000)], ["SQ", "PT"]
    )
    index = FirmIndex.build(firms, CRS_M)
    want = context_features(parcels, index, conflicts=rules, layers=layers)
    ids, columns, params = context_columns(parcels, index, conflicts=rules, layers=layers)
    assert all(isinstance(v, np.ndarray) for v in columns.values())  # no frame, no Series
    got = pd.DataFrame({k: pd.Series(v, index=ids, dtype=v.dtype) for k, v in columns.items()})
    assert list(columns) == list(want.columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)  # attrs aside
    assert params == want.attrs["context_params"]
    assert got.loc["SQ", "conflict_C26_nearest_firm"] == "F0"
    # again with the setup kept from the first call: the same columns
    _, again, _ = context_columns(parcels, index, conflicts=rules, layers=layers)
    pd.testing.assert_frame_equal(
        pd.DataFrame({k: pd.Series(v, index=ids, dtype=v.dtype) for k, v in again.items()}), got
    )


def test_default_conflicts_are_used_when_none_given() -> None:
    # a firm recorded only as C26 may make basic chemicals (C261): it counts for that rule
    ctx = context_features(_square(), _firms([(X0 + 700, Y0)], ["C26"]))
    assert bool(ctx.loc["SQ", "breach_P83_near_C261"])
    assert ctx.loc["SQ", "conflict_C261_nearest_m"] == 100.0


def test_default_conflicts_leave_out_cosmetics_cartons_and_plastics() -> None:
    # 100 m away: a cosmetics maker (C2682), a carton maker (C2231) and a plastics moulder
    # (C2921) breach no default rule; a pulp mill (C2211) does, a rubber plant (C2913) at 50 m
    near = [(X0 + 700, Y0)]
    for code in ("C2682", "C2231", "C2921"):
        ctx = context_features(_square(), _firms(near, [code]))
        assert ctx.loc["SQ", "conflicts_breached"] == 0, code
    pulp = context_features(_square(), _firms(near, ["C2211"]))
    assert bool(pulp.loc["SQ", "breach_P83_near_C221"])
    assert pulp.loc["SQ", "conflict_C222_nearest_m"] == np.inf
    rubber = context_features(_square(), _firms([(X0 + 650, Y0)], ["C2913"]))  # 50 m < 100 m
    assert bool(rubber.loc["SQ", "breach_P83_near_C291"])


def test_empty_firm_table() -> None:
    firms = _firms([(X0, Y0)], ["C19"]).iloc[:0]
    ctx = context_features(_square(), firms, industries=["C19"], conflicts=NO_RULES)
    assert ctx.loc["SQ", "n_C19_1000m"] == 0
    assert ctx.loc["SQ", "nearest_C19_m"] == np.inf


# ---------------------------------------------------------------------------------------------
# errors


def test_assets_in_degrees_are_projected_by_the_store_rule() -> None:
    # issue 7: lon/lat assets are accepted; the rule picks EPSG:4549 here, the firms' CRS
    firms = _firms([(X0 + 700, Y0)], ["C19"])
    expected = context_features(_square(), firms, conflicts=NO_RULES)
    got = context_features(_square().to_crs("EPSG:4490"), firms, conflicts=NO_RULES)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, atol=1e-3)


def test_firms_in_another_crs_are_an_error_naming_both() -> None:
    firms = _firms([(X0, Y0)], ["C19"]).to_crs("EPSG:4548")
    with pytest.raises(CRSError) as err:
        context_features(_square(), firms)
    msg = str(err.value)
    assert "firms are in EPSG:4548" in msg and "assets are in EPSG:4549" in msg
    assert "to_crs(assets.crs)" in msg
    lonlat = _firms([(X0, Y0)], ["C19"]).to_crs("EPSG:4326")
    with pytest.raises(CRSError, match="firms_coords='gcj02'"):
        context_features(_square(), lonlat)


def test_web_map_coordinates_need_lon_lat() -> None:
    with pytest.raises(CRSError, match=r"firms_coords='gcj02' needs firms in longitude/latitude"):
        context_features(_square(), _firms([(X0, Y0)], ["C19"]), firms_coords="gcj02")
    no_crs = _firms([(X0, Y0)], ["C19"]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="firms have no CRS"):
        context_features(_square(), no_crs)
    layer = gpd.GeoDataFrame(geometry=[shapely.Point(118.8, 24.8)], crs="EPSG:4326")
    with pytest.raises(CRSError, match="layer 'port' is in EPSG:4326"):
        context_features(_square(), _firms([(X0, Y0)], ["C19"]), layers={"port": layer})


def test_bad_input_lists_every_problem() -> None:
    assets = _assets(
        [
            shapely.box(0, 0, 1, 1),
            shapely.LineString([(0, 0), (1, 1)]),
            shapely.Polygon(),
            shapely.box(0, 0, 2, 2),
        ],
        ["A", "B", "C", "A"],
    )
    with pytest.raises(ValidationError) as err:
        context_features(assets, _firms([(X0, Y0)], ["C19"]))
    reasons = {(p.row, p.field) for p in err.value.problems}
    assert reasons == {("A", "asset_id"), ("B", "geometry"), ("C", "geometry")}
    assert "expected a Polygon, MultiPolygon or Point; got LineString" in str(err.value)
    firms = _firms([(X0, Y0), (X0, Y0), (X0, Y0)], ["C19", "Q", None])
    with pytest.raises(ValidationError) as err:
        context_features(_square(), firms)
    assert sorted(p.row for p in err.value.problems) == [1, 2]
    with pytest.raises(ValidationError, match="'asset_id' column"):
        context_features(_square().drop(columns="asset_id"), firms.iloc[:1])
    with pytest.raises(ValueError, match="radii_m"):
        context_features(_square(), firms.iloc[:1], radii_m=(0, 100))


# ---------------------------------------------------------------------------------------------
# web-map coordinates


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_map_firms_match_their_wgs84_positions(system: str) -> None:
    from assetmatch.geo import webmap

    rng = np.random.default_rng(7)
    firms = _firms(
        list(
            zip(X0 + rng.uniform(-4000, 4000, 60), Y0 + rng.uniform(-4000, 4000, 60), strict=True)
        ),
        list(rng.choice(["C19", "C29", "C39"], 60)),
    )
    truth = context_features(_square(), firms, conflicts=NO_RULES)
    lonlat = firms.to_crs("EPSG:4326")
    forward = webmap.wgs84_to_gcj02 if system == "gcj02" else webmap.wgs84_to_bd09
    lon, lat = forward(lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy())
    shifted = lonlat.set_geometry(shapely.points(lon, lat))
    # as published, the points are hundreds of metres off
    naive = shifted.set_crs("EPSG:4326", allow_override=True).to_crs(CRS_M)
    assert naive.distance(firms, align=False).min() > 100
    got = context_features(_square(), shifted, firms_coords=system, conflicts=NO_RULES)
    near = [c for c in truth.columns if c.startswith("nearest_")]
    np.testing.assert_allclose(got[near], truth[near], atol=0.01)  # centimetres
    counts = [c for c in truth.columns if c.startswith("n_")]
    assert (got[counts].to_numpy() == truth[counts].to_numpy()).all()


# ---------------------------------------------------------------------------------------------
# random cases against brute force


def _random_case(
    seed: int, n_assets: int, n_firms: int, extent: float = 12_000.0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Rotated and jittered quadrilaterals, L-shapes, holes, multipolygons and points."""
    rng = np.random.default_rng(seed)
    geoms = []
    for i in range(n_assets):
        cx, cy = np.array([X0, Y0]) + rng.uniform(0, extent, 2)
        w, h = rng.uniform(30, 400, 2)
        kind = i % 20
        if kind == 0:
            geoms.append(shapely.Point(cx, cy))
            continue
        if kind == 1:  # L-shape
            g = shapely.union(shapely.box(0, 0, w, h / 3), shapely.box(0, 0, w / 3, h))
        elif kind == 2:  # with a hole
            g = shapely.box(0, 0, w, h).difference(shapely.box(w / 4, h / 4, w / 2, h / 2))
        elif kind == 3:  # two parts
            g = shapely.MultiPolygon([shapely.box(0, 0, w / 3, h), shapely.box(w / 2, 0, w, h)])
        elif kind == 4:  # axis-aligned rectangle
            g = shapely.box(0, 0, w, h)
        else:  # jittered quadrilateral
            corners = np.array([[0, 0], [w, 0], [w, h], [0, h]]) + rng.normal(0, 6, (4, 2))
            g = shapely.Polygon(corners)
        angle = 0.0 if kind == 4 else rng.uniform(0, 180)
        g = shapely.affinity.rotate(g, angle, origin="centroid")
        geoms.append(shapely.affinity.translate(g, cx - g.centroid.x, cy - g.centroid.y))
    assets = _assets(geoms)
    codes = np.array(["C19", "C1921", "C29", "C26", "P83", "G59"])
    fx = X0 + rng.uniform(-2000, extent + 2000, n_firms)
    fy = Y0 + rng.uniform(-2000, extent + 2000, n_firms)
    firms = gpd.GeoDataFrame(
        {
            "firm_id": [f"F{i}" for i in range(n_firms)],
            "industry": rng.choice(codes, n_firms, p=[0.3, 0.2, 0.2, 0.1, 0.15, 0.05]),
        },
        geometry=shapely.points(fx, fy),
        crs=CRS_M,
    )
    return assets, firms


def test_random_parcels_equal_brute_force() -> None:
    assets, firms = _random_case(1, 1500, 2500)
    radii = (300, 1000, 2500)
    h = 700.0
    ctx = context_features(
        assets,
        firms,
        radii,
        industries=["C19", "C1921", "C26", "P83", "M73"],
        kernel_bandwidth_m=h,
        conflicts=NO_RULES,
    )
    a = np.asarray(assets.geometry.array)
    f = np.asarray(firms.geometry.array)
    d = shapely.distance(f[None, :], a[:, None])  # every pair, exact
    rect = shapely.oriented_envelope(a)
    is_point = shapely.get_type_id(a) == 0
    rect[is_point] = a[is_point]
    ell = shapely.distance(f[None, :], rect[:, None])
    rectangles = (np.arange(len(a)) % 20 == 4) | is_point
    codes = firms["industry"].to_numpy(dtype=str)
    assert (d <= radii[0]).sum() > 1000  # the case is not trivially empty
    for ind in ["C19", "C1921", "C26", "P83", "M73"]:
        member = np.char.startswith(codes, ind)
        for r in radii:
            expected = ((d <= r) & member[None, :]).sum(axis=1)
            np.testing.assert_array_equal(ctx[f"n_{ind}_{r}m"].to_numpy(), expected)
        nearest = np.where(member[None, :], d, np.inf).min(axis=1)
        np.testing.assert_array_equal(ctx[f"nearest_{ind}_m"].to_numpy(), nearest)
        within = member[None, :] & (d <= radii[-1])
        presence = ctx[f"presence_{ind}"].to_numpy()
        # kernel of the distance to GEOS's minimum rotated rectangle (up to its rounding)
        weights = np.where(within, np.exp(-((ell / h) ** 2)), 0.0)
        np.testing.assert_allclose(presence, weights.sum(axis=1), rtol=1e-5)
        # for rectangles and points that distance is the exact boundary distance
        weights = np.where(within, np.exp(-((d / h) ** 2)), 0.0)
        np.testing.assert_allclose(presence[rectangles], weights[rectangles].sum(axis=1), rtol=1e-9)


def _awkward_parcels() -> list:
    """Parcels that stress point-to-parcel distances, all near (X0, Y0)."""
    box = shapely.box(0, 0, 600, 400)
    holed = shapely.Polygon(
        [(0, 0), (500, 0), (500, 500), (0, 500)],
        [
            [(100, 100), (200, 100), (200, 200), (100, 200)],
            [(300, 300), (400, 300), (400, 400), (300, 400)],
        ],
    )
    nested = shapely.MultiPolygon(
        [  # a part inside the hole of the other
            shapely.Polygon(
                [(0, 0), (900, 0), (900, 900), (0, 900)],
                [[(200, 200), (700, 200), (700, 700), (200, 700)]],
            ),
            shapely.box(350, 350, 550, 550),
        ]
    )
    ell = shapely.union(shapely.box(0, 0, 300, 100), shapely.box(0, 0, 100, 300))
    repeated = shapely.Polygon([(0, 0), (250, 0), (250, 0), (250, 150), (0, 150)])
    bowtie = shapely.Polygon([(0, 0), (400, 400), (400, 0), (0, 400)])  # invalid
    rotated = shapely.affinity.rotate(
        shapely.Polygon([(0, 0), (420, 15), (400, 260), (-10, 240)]), 33.0
    )
    parts = [box, holed, nested, ell, repeated, bowtie, rotated, shapely.Point(0, 0)]
    return [shapely.affinity.translate(g, X0 + 3000 * i, Y0) for i, g in enumerate(parts)]


def _awkward_points(
    parcels: list, rng: np.random.Generator, radii: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parcel index, x, y): random points, vertices, points on edges, exactly at the radii."""
    a, xs, ys = [], [], []

    def add(i: int, x: np.ndarray, y: np.ndarray) -> None:
        a.append(np.full(len(x), i))
        xs.append(np.asarray(x, float))
        ys.append(np.asarray(y, float))

    for i, g in enumerate(parcels):
        x0, y0, x1, y1 = g.bounds
        add(i, rng.uniform(x0 - 300, x1 + 300, 400), rng.uniform(y0 - 300, y1 + 300, 400))
        add(i, rng.uniform(x0 - 3000, x1 + 3000, 200), rng.uniform(y0 - 3000, y1 + 3000, 200))
        xy = shapely.get_coordinates(g)
        add(i, xy[:, 0], xy[:, 1])  # vertices (the point itself for a point)
        rings = shapely.get_rings(shapely.get_parts(g)) if shapely.get_type_id(g) else []
        for ring in rings:  # on edges
            pts = shapely.line_interpolate_point(ring, rng.uniform(0, 1, 25), normalized=True)
            add(i, shapely.get_x(pts), shapely.get_y(pts))
        for r in radii:  # exactly at a radius (representable): off edges and a corner
            add(
                i,
                [x1 + r, x0 - r, (x0 + x1) / 2, x1 + 0.6 * r],
                [(y0 + y1) / 2, (y0 + y1) / 2, y1 + r, y1 + 0.8 * r],
            )
            add(i, [x1 + r + 1e-7, x1 + r - 1e-7, x1 + r + 2e-3], [y1, y1, y1])
    return np.concatenate(a), np.concatenate(xs), np.concatenate(ys)


def test_numpy_point_distances_are_bounded_and_settled_exactly() -> None:
    from assetmatch.context import parcels as ctx_mod

    parcels = _awkward_parcels()
    radii = (300.0, 1000.0, 2500.0)
    a, px, py = _awkward_points(parcels, np.random.default_rng(4), radii)
    geoms = np.array(parcels, dtype=object)
    A = ctx_mod._prepare_assets(pd.Index([f"A{i}" for i in range(len(geoms))]), geoms)
    assert A.trusted.tolist() == [True] * 5 + [False, True, True]  # the bowtie is invalid
    d = shapely.distance(shapely.points(px, py), geoms[a])  # the truth
    assert (d == 0).sum() > 100 and (d > 2000).sum() > 100
    rect = ctx_mod._rectangle_distance(A, a, px, py)
    assert (rect <= d + 1e-6).all()  # the rectangle bounds the distance from below
    for l2 in (None, rect * rect):
        est, tol, exact = ctx_mod._distance_estimate(A, a, px, py, l2)
        assert (np.abs(est - d) <= tol).all()
        np.testing.assert_array_equal(est[exact], d[exact])
        assert exact[d == 0].all()  # on the boundary and inside: 0, for sure
        assert ((est == d) | ~exact).all() and exact.sum() > 300
        # settle the pairs next to a radius, as _refine does: then every decision is GEOS's
        near = (np.abs(est[:, None] - np.array(radii)[None, :]) <= tol[:, None]).any(axis=1)
        assert near.sum() >= 3 * len(parcels) * len(radii)
        ctx_mod._measure(A, a, px, py, est, exact, near)
        for r in radii:
            np.testing.assert_array_equal(est <= r, d <= r)
    upper = ctx_mod._distance_upper(A, a, px, py)  # bounds the gaps, no shapely
    assert (upper >= d).all()
    assert (upper - d)[A.trusted[a]].max() <= 0.02


def test_firms_on_edges_vertices_and_at_the_radii_equal_brute_force() -> None:
    parcels = _awkward_parcels()
    radii = (300, 1000, 2500)
    _, px, py = _awkward_points(parcels, np.random.default_rng(8), radii)
    codes = np.array(["C19", "C26", "P83"])[np.arange(len(px)) % 3]
    firms = gpd.GeoDataFrame(
        {"firm_id": [f"F{i}" for i in range(len(px))], "industry": codes},
        geometry=shapely.points(px, py),
        crs=CRS_M,
    )
    assets = _assets(parcels)
    ctx = context_features(
        assets, firms, radii, industries=["C19", "C26", "P83"], conflicts=NO_RULES
    )
    g = np.asarray(assets.geometry.array)
    d = shapely.distance(np.asarray(firms.geometry.array)[None, :], g[:, None])
    for ind in ["C19", "C26", "P83"]:
        member = codes == ind
        for r in radii:
            np.testing.assert_array_equal(
                ctx[f"n_{ind}_{r}m"].to_numpy(), ((d <= r) & member).sum(axis=1)
            )
        np.testing.assert_array_equal(
            ctx[f"nearest_{ind}_m"].to_numpy(), np.where(member, d, np.inf).min(axis=1)
        )


@pytest.mark.parametrize("tree_after", [0, 10**9])  # k-d tree at once, or brute force only
@pytest.mark.parametrize("batch", [None, 7])  # labels settled together, or a few pairs at once
def test_nearest_beyond_the_radii_by_tree_or_brute_force(
    tree_after: int, batch: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetmatch.context import kernel as ctx_mod

    monkeypatch.setattr(ctx_mod, "_FAR_TREE_ROWS", tree_after)
    if batch is not None:
        monkeypatch.setattr(ctx_mod, "_REFINE_PAIRS", batch)
    assets, firms = _random_case(6, 300, 150, extent=40_000)
    c = assets.geometry.iloc[1].centroid  # two firms at one place 1 km off A1: a tie
    twins = _firms([(c.x + 1000.0, c.y)] * 2, ["G59", "G59"]).assign(firm_id=["T1", "T2"])
    firms = pd.concat([firms, twins], ignore_index=True)
    ctx = context_features(
        assets,
        firms,
        (300,),
        industries=["C26", "G59", "P83"],
        conflicts=[ConflictRule("C26", "G59", 100)],
    )
    d = shapely.distance(
        np.asarray(firms.geometry.array)[None, :], np.asarray(assets.geometry.array)[:, None]
    )
    codes = firms["industry"].to_numpy(dtype=str)
    assert (ctx["n_C26_300m"] == 0).mean() > 0.5  # mostly found beyond the radius
    for ind in ["C26", "G59", "P83"]:
        member = codes == ind
        dist = np.where(member, d, np.inf)
        np.testing.assert_array_equal(ctx[f"nearest_{ind}_m"].to_numpy(), dist.min(axis=1))
    first = np.argmin(np.where(codes == "G59", d, np.inf), axis=1)  # lowest index among ties
    assert ctx["conflict_G59_nearest_firm"].tolist() == firms["firm_id"].iloc[first].tolist()
    assert ctx.loc["A1", "conflict_G59_nearest_firm"] == "T1"


def test_progress_is_logged_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    assets, firms = _random_case(2, 300, 400)
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        context_features(
            assets,
            firms,
            chunk_size=100,
            progress=lambda d, t: seen.append((d, t)),
            conflicts=NO_RULES,
        )
    assert seen[-1] == (300, 300)
    assert all(t == 300 for _, t in seen) and len(seen) >= 2
    lines = [r.getMessage() for r in caplog.records if "assets (" in r.getMessage()]
    assert lines and lines[-1].startswith("context features: 300/300 assets (100.0 %)")


def test_threads_and_firm_index_give_the_same_result() -> None:
    assets, firms = _random_case(3, 400, 800)
    one = context_features(assets, firms)
    index = FirmIndex.build(firms, assets.crs)
    two = context_features(assets, index, n_jobs=2, chunk_size=50)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    with pytest.raises(CRSError, match="firm index is in EPSG:4549"):
        context_features(assets.to_crs("EPSG:4548"), index)


# ---------------------------------------------------------------------------------------------
# incremental refresh


def _edit(
    rng: np.random.Generator, assets: gpd.GeoDataFrame, firms: gpd.GeoDataFrame, serial: list[int]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    kind = rng.choice(
        ["move_asset", "add_asset", "remove_asset", "add_firm", "move_firm", "remove_firm", "mixed"]
    )
    changed: list[str] = []
    removed: list[str] = []
    points: list[shapely.Point] = []
    assets = assets.copy()
    firms = firms.copy()
    if kind in ("move_asset", "mixed"):
        i = rng.integers(len(assets))
        g = assets.geometry.iloc[i]
        assets.loc[assets.index[i], "geometry"] = shapely.affinity.translate(
            g, *rng.uniform(-3000, 3000, 2)
        )
        changed.append(assets["asset_id"].iloc[i])
    if kind in ("add_asset", "mixed"):
        serial[0] += 1
        cx, cy = np.array([X0, Y0]) + rng.uniform(0, 12_000, 2)
        new = _assets([shapely.box(cx, cy, cx + rng.uniform(20, 300), cy + 150)], [f"N{serial[0]}"])
        assets = pd.concat([assets, new], ignore_index=True)
        changed.append(f"N{serial[0]}")
    if kind in ("remove_asset", "mixed"):
        i = rng.integers(len(assets))
        if assets["asset_id"].iloc[i] not in changed:
            removed.append(assets["asset_id"].iloc[i])
            assets = assets.drop(index=assets.index[i]).reset_index(drop=True)
    if kind in ("add_firm", "mixed"):
        serial[0] += 1
        p = shapely.Point(X0 + rng.uniform(-2000, 14_000), Y0 + rng.uniform(-2000, 14_000))
        row = gpd.GeoDataFrame(
            {"firm_id": [f"G{serial[0]}"], "industry": [rng.choice(["C19", "C26", "P83", "C29"])]},
            geometry=[p],
            crs=CRS_M,
        )
        firms = pd.concat([firms, row], ignore_index=True)
        points.append(p)
    if kind in ("move_firm", "mixed"):
        i = rng.integers(len(firms))
        old = firms.geometry.iloc[i]
        new_p = shapely.affinity.translate(old, *rng.uniform(-4000, 4000, 2))
        firms.loc[firms.index[i], "geometry"] = new_p
        points += [old, new_p]
    if kind in ("remove_firm", "mixed"):
        # remove the nearest firm of some asset, the case that changes nearest_* far away
        i = int(rng.integers(len(firms)))
        points.append(firms.geometry.iloc[i])
        firms = firms.drop(index=firms.index[i]).reset_index(drop=True)
    edits = {
        "changed_asset_ids": changed,
        "removed_asset_ids": removed,
        "changed_firm_points": gpd.GeoSeries(points, crs=CRS_M) if points else None,
    }
    return assets, firms, edits


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_incremental_refresh_equals_full_recompute(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assets, firms = _random_case(seed, 250, 120, extent=12_000)
    # sparse industries make nearest_* depend on far-away firms
    params = {"radii_m": (500, 1500), "industries": ["C19", "C26", "P83", "C29", "G59"]}
    ctx = context_features(assets, firms, **params)
    serial = [0]
    for _ in range(12):
        assets, firms, edits = _edit(rng, assets, firms, serial)
        ctx = refresh_context(ctx, assets, firms, **edits, **params)
        full = context_features(assets, firms, **params)
        pd.testing.assert_frame_equal(ctx, full, check_exact=True)


def test_refresh_only_recomputes_what_an_edit_can_reach(caplog: pytest.LogCaptureFixture) -> None:
    assets, firms = _random_case(5, 400, 3000, extent=30_000)
    params = {"radii_m": (1000,), "industries": ["C19", "C29"], "conflicts": NO_RULES}
    ctx = context_features(assets, firms, **params)
    index = FirmIndex.build(firms, assets.crs)
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        out = refresh_context(ctx, assets, index, changed_asset_ids=["A7"], **params)
    assert "recomputing 1 of 400 assets" in caplog.text
    pd.testing.assert_frame_equal(out, ctx, check_exact=True)
    before = ctx.copy()
    out.iloc[0, 3] = -1  # the result shares unchanged columns copy-on-write, never the values
    moved = assets.copy()
    moved.loc[7, "geometry"] = shapely.affinity.translate(moved.geometry.iloc[7], 400, 0)
    out = refresh_context(ctx, moved, index, changed_asset_ids=["A7"], **params)
    out.iloc[7, 0] = -1
    pd.testing.assert_frame_equal(ctx, before, check_exact=True)
    caplog.clear()
    # a new C19 firm in the middle of parcel A5
    point = gpd.GeoDataFrame(
        {"industry": ["C19"]}, geometry=[assets.geometry.iloc[5].centroid], crs=CRS_M
    )
    with caplog.at_level(logging.INFO, logger="assetmatch.context"):
        refresh_context(ctx, assets, index, changed_firm_points=point, **params)
    recomputed = int(caplog.text.split("recomputing ")[1].split(" of")[0])
    assert 0 < recomputed < 100
    with pytest.raises(UnknownAssetError, match="not in assets"):
        refresh_context(ctx, assets, index, changed_asset_ids=["nope"], **params)
    with pytest.raises(ValidationError, match="still in assets"):
        refresh_context(ctx, assets, index, removed_asset_ids=["A1"], **params)


# ---------------------------------------------------------------------------------------------
# dask


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 workers of 1 thread inside this process, reachable over TCP."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=":0",
    ) as local:
        yield local


def _far_case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame]]:
    """The random case plus firms far beyond every partition's halo (nearest found outside it)."""
    assets, firms = _random_case(21, 600, 1500, extent=20_000)
    far = gpd.GeoDataFrame(
        {"firm_id": ["FAR1", "FAR2", "FAR3"], "industry": ["M73", "M73", "C3311"]},
        geometry=[
            shapely.Point(X0 - 40_000, Y0),
            shapely.Point(X0 + 60_000, Y0 + 25_000),
            shapely.Point(X0 + 10_000, Y0 - 30_000),
        ],
        crs=CRS_M,
    )
    firms = pd.concat([firms, far], ignore_index=True)
    layers = {
        "port": gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=CRS_M),
        "town_centre": gpd.GeoDataFrame(
            geometry=[shapely.Point(X0 + 5000, Y0 + 9000), shapely.Point(X0 + 15_000, Y0)],
            crs=CRS_M,
        ),
    }
    return assets, firms, layers


def test_dask_engine_equals_numpy_on_a_local_cluster(cluster) -> None:
    distributed = pytest.importorskip("distributed")
    assets, firms, layers = _far_case()
    expected = context_features(assets, firms, layers=layers)
    assert np.isfinite(expected["nearest_M73_m"]).all()
    assert (expected["nearest_M73_m"] > 10_000).all()  # beyond every halo: the fallback path
    with (
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as stream,
    ):
        got = context_features(
            assets, firms, layers=layers, engine="dask", client=client, npartitions=6
        )
    # one task per partition ran on the workers; the firms and layers were scattered, not tasks
    assert len(stream.data) == 6
    assert {t["worker"] for t in stream.data} <= set(cluster.scheduler_info["workers"])
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_dask_engine_at_a_scheduler_address(cluster) -> None:
    assets, firms, layers = _far_case()
    index = FirmIndex.build(firms, CRS_M)
    expected = context_features(assets, index, (500, 2000), layers=layers, industries=["C19"])
    seen: list[tuple[int, int]] = []
    got = context_features(
        assets,
        index,
        (500, 2000),
        layers=layers,
        industries=["C19"],
        engine="dask",
        scheduler=cluster.scheduler_address,
        progress=lambda done, total: seen.append((done, total)),
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert len(seen) == 4  # default: two partitions per worker thread
    assert seen[-1] == (600, 600)


def test_dask_engine_without_a_cluster_uses_the_local_scheduler() -> None:
    pytest.importorskip("dask_geopandas")
    assets, firms, layers = _far_case()
    expected = context_features(assets, firms, layers=layers)
    got = context_features(assets, firms, layers=layers, engine="dask", npartitions=3)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _wide_case() -> tuple[gpd.GeoDataFrame, FirmIndex, dict[str, gpd.GeoDataFrame]]:
    """Assets over 60 km, so that a partition's box plus halo holds a part of the firms only.

    G59 firms are sparse (nearest often beyond the largest radius but within a halo: found on
    the worker); M73 firms are 40-60 km away (beyond every halo: found in the whole index).
    """
    _, _, layers = _far_case()
    assets, firms = _random_case(23, 800, 3000, extent=60_000)
    far = gpd.GeoDataFrame(
        {"firm_id": ["FAR1", "FAR2"], "industry": ["M73", "M73"]},
        geometry=[shapely.Point(X0 - 50_000, Y0), shapely.Point(X0 + 110_000, Y0 + 30_000)],
        crs=CRS_M,
    )
    firms = pd.concat([firms, far], ignore_index=True)
    return assets, FirmIndex.build(firms, CRS_M), layers


def test_dask_partitions_carry_only_their_firms_and_equal_numpy(
    cluster, caplog, tmp_path, monkeypatch
) -> None:
    distributed = pytest.importorskip("distributed")
    assets, index, layers = _wide_case()
    params = {"radii_m": (500, 2000), "layers": layers, "conflicts": []}
    expected = context_features(assets, index, **params)
    nearest = expected.filter(regex="^nearest_").to_numpy()
    beyond = int((np.isfinite(nearest) & (nearest > 2000)).sum())
    with (
        distributed.Client(cluster) as client,
        caplog.at_level(logging.INFO, logger="assetmatch.context"),
    ):
        got = context_features(assets, index, **params, engine="dask", client=client, npartitions=8)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    low, high = (
        int(v) for v in caplog.text.split(" firms per partition")[0].split()[-1].split("-")
    )
    assert 0 < low <= high < 0.6 * len(index)  # no partition got the whole firm index
    left = int(caplog.text.split(" nearest firms beyond the partitions' halos")[0].split()[-1])
    assert 0 < left < beyond  # some found on the workers, the farthest in the whole index
    # a thin halo: many nearest firms are decided close to a partition's edge, where a nearer
    # firm may lie just outside it
    monkeypatch.setattr(dask_engine, "_FAR_HALO_M", 300.0)
    with distributed.Client(cluster) as client:
        got = context_features(assets, index, **params, engine="dask", client=client, npartitions=8)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    monkeypatch.undo()
    # through GeoParquet files in a directory the workers share, removed after the call
    with distributed.Client(cluster) as client:
        got = context_features(
            assets, index, **params, engine="dask", client=client, intermediate_dir=tmp_path
        )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(tmp_path.iterdir()) == []
    got = context_features(assets, index, **params, engine="dask", intermediate_dir=tmp_path)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    with pytest.raises(ClusterError, match="not a directory"):
        context_features(assets, index, **params, engine="dask", intermediate_dir=tmp_path / "nope")


def test_dask_partition_without_firms_through_geoparquet(cluster, tmp_path) -> None:
    """A partition whose box plus halo holds no firm is written and read back as GeoParquet
    too (its nearest firms, 300 km away, come from the whole index) and equals numpy."""
    distributed = pytest.importorskip("distributed")
    assets = gpd.GeoDataFrame(
        {"asset_id": ["NEAR", "FAR"]},
        geometry=[shapely.Point(X0, Y0).buffer(50), shapely.Point(X0 + 300_000, Y0).buffer(50)],
        crs=CRS_M,
    ).set_index("asset_id")
    firms = gpd.GeoDataFrame(
        {"firm_id": ["A", "B"], "industry": ["C26", "C22"]},
        geometry=[shapely.Point(X0 + 400, Y0), shapely.Point(X0, Y0 + 1500)],
        crs=CRS_M,
    )
    index = FirmIndex.build(firms, CRS_M)
    params = {"radii_m": (500, 2000), "conflicts": []}
    expected = context_features(assets, index, **params)
    assert expected.loc["FAR", "nearest_C26_m"] > 290_000  # beyond every halo
    with distributed.Client(cluster) as client:
        got = context_features(
            assets,
            index,
            **params,
            engine="dask",
            client=client,
            npartitions=2,
            intermediate_dir=tmp_path,
        )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.slow
def test_dask_engine_equals_numpy_on_two_worker_processes(tmp_path) -> None:
    """Everything pickled to 2 small worker processes (slow: each imports the library)."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    assets, firms, layers = _far_case()
    expected = context_features(assets, firms, layers=layers)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=":0",
    ) as local:
        got = context_features(
            assets, firms, layers=layers, engine="dask", scheduler=local.scheduler_address
        )
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        got = context_features(
            assets,
            firms,
            layers=layers,
            engine="dask",
            scheduler=local.scheduler_address,
            intermediate_dir=tmp_path,
        )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_dask_engine_errors(cluster) -> None:
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    assets, firms, _ = _far_case()
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(
            ClusterError, match=r"cannot reach the dask scheduler at 'tcp://127\.0\.0\.1:9'"
        ),
    ):
        context_features(assets, firms, engine="dask", scheduler="tcp://127.0.0.1:9")
    with distributed.Client(cluster) as client, pytest.raises(ClusterError, match="not both"):
        context_features(
            assets, firms, engine="dask", client=client, scheduler=cluster.scheduler_address
        )
