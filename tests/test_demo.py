"""Tests of the synthetic demo zone (assetmatch.demo)."""

from __future__ import annotations

import importlib.util
import math
import time
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from assetmatch import schema
from assetmatch._errors import AssetmatchError
from assetmatch.demo.zone import (
    DEMO_ASSET_COLUMNS,
    DemoZone,
    generate_zone,
    read_zone,
    write_zone,
)

MU = 2000.0 / 3.0
ROOT = Path(__file__).resolve().parents[1]
METRIC = "EPSG:4549"


@pytest.fixture(scope="module")
def zone() -> DemoZone:
    return generate_zone()


@pytest.fixture(scope="module")
def metric(zone: DemoZone) -> gpd.GeoDataFrame:
    return zone.assets.to_crs(METRIC)


def _row(frame: pd.DataFrame, asset_id: str) -> pd.Series:
    rows = frame[frame["asset_id"] == asset_id]
    assert len(rows) == 1, asset_id
    return rows.iloc[0]


def _same(a: object, b: object) -> bool:
    """Exact equality of two cell values (NaN equals NaN, geometries compared exactly)."""
    if isinstance(a, shapely.Geometry) or isinstance(b, shapely.Geometry):
        return (
            isinstance(a, shapely.Geometry)
            and isinstance(b, shapely.Geometry)
            and a.equals_exact(b, 0.0)
        )
    if a is None or b is None or a is pd.NA or b is pd.NA:
        return (a is None or a is pd.NA) and (b is None or b is pd.NA)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _frames_equal(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> list[str]:
    """Cells that differ, as 'column[row]' strings."""
    diffs = []
    for c in columns:
        lv = left[c].to_numpy(dtype=object)
        rv = right[c].to_numpy(dtype=object)
        diffs += [f"{c}[{i}]" for i in range(len(lv)) if not _same(lv[i], rv[i])]
    return diffs


def _replay(initial: gpd.GeoDataFrame, events: pd.DataFrame) -> dict[str, list[object]]:
    """Apply each event's value, in order, to a plain copy of ``initial``."""
    state = {c: list(initial[c].to_numpy(dtype=object)) for c in initial.columns}
    row_of = {a: i for i, a in enumerate(initial["asset_id"])}
    for asset_id, column, value in zip(
        events["asset_id"], events["field"], events["value"], strict=True
    ):
        state[column][row_of[asset_id]] = value
    return state


# ------------------------------------------------------------------------------ shape of it


def test_counts_statuses_districts(zone: DemoZone) -> None:
    a = zone.assets
    assert len(a) >= 300
    assert len(zone.firms) >= 3000
    assert len(zone.deals) >= 30
    assert set(a["status"]) == set(schema.STATUSES)
    assert {"杏东", "张坂", "惠南"} <= set(a["district"])
    assert set(a["kind"]) == set(schema.KINDS)
    assert a["asset_id"].is_unique
    assert zone.firms["firm_id"].is_unique


def test_columns_and_value_types(zone: DemoZone) -> None:
    a = zone.assets
    assert list(a.columns) == [*DEMO_ASSET_COLUMNS, "geometry"]
    assert not set(schema.DERIVED_ASSET_COLUMNS) & set(a.columns)
    assert a.crs.to_epsg() == 4490
    assert list(zone.initial.columns) == list(a.columns)
    assert zone.initial.crs.to_epsg() == 4490
    for tenure in a["tenure"]:
        assert isinstance(tenure, list) and tenure
        assert set(tenure) <= set(schema.TENURE_MODES)
    for obstacles in a["obstacles"]:
        assert isinstance(obstacles, list)
        for o in obstacles:
            assert set(o) == {"kind", "description", "delay_days"}
            assert o["kind"] in schema.OBSTACLE_KINDS
            assert isinstance(o["delay_days"], int) and o["delay_days"] > 0
    for column in ("idle_since", "ready_date"):
        assert all(v is None or type(v) is date for v in a[column])
    assert a["declared_land_area_m2"].notna().mean() > 0.8
    types = a.geometry.geom_type.value_counts()
    assert set(types.index) == {"Polygon", "MultiPolygon", "Point"}
    assert 0.03 <= types["Point"] / len(a) <= 0.07
    assert a.loc[a.geometry.geom_type == "Point", "declared_land_area_m2"].notna().all()
    schemes = set(a["land_use_scheme"])
    assert schemes == {"2020", "gbt21010-2017", "tdsurvey3"}
    assert (a["land_use_scheme"] == "2020").mean() > 0.85
    assert {"1001", "1101", "0804", "0802", "0901"} <= set(
        a.loc[a["land_use_scheme"] == "2020", "land_use"]
    )
    buildings = a[a["kind"] != "land"]
    assert buildings["rent_yuan_m2_month"].between(8, 25).all()
    assert buildings["floors"].between(1, 6).all()
    assert (a.loc[a["kind"] == "land", "building_area_m2"] == 0).all()
    prices = a["land_price_yuan_mu"].dropna()
    assert prices.between(200_000, 600_000).all()
    assert a["contact"].str.fullmatch(r"138-0000-\d{4}").all()
    idle = a[a["status"].isin(["idle", "low_efficiency"])]
    assert idle["idle_since"].notna().all()


def test_parcel_sizes_and_plot_ratios(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    poly = metric[metric.geometry.geom_type != "Point"]
    mu = poly.area / MU
    assert mu.between(3, 260).all()
    assert 15 <= mu.median() <= 60
    built = zone.assets[zone.assets["kind"] != "land"]
    land = np.where(
        built.geometry.geom_type == "Point",
        built["declared_land_area_m2"],
        built.to_crs(METRIC).area,
    )
    ratio = built["building_area_m2"] / land
    generic = ~built["asset_id"].isin(["TS-0001", "TS-0002"]) & ~built["name"].str.contains("法拍")
    assert ratio[generic].quantile(0.05) >= 0.2
    assert ratio[generic].quantile(0.95) <= 2.0


def test_firms_and_layers(zone: DemoZone) -> None:
    f = zone.firms
    assert f.crs.to_epsg() == 4490
    assert list(f.columns) == ["firm_id", "name", "industry", "employees", "geometry"]
    assert set(f["industry"].str[:3]) <= set(schema.INDUSTRIES)
    assert f["industry"].str.fullmatch(r"[A-Z]\d{2}(\d{2})?").all()
    assert (f["industry"].str.len() == 5).any()
    assert (f.geometry.geom_type == "Point").all()
    assert set(zone.layers) == {"highway_exit", "port", "rail_station", "town_centre"}
    for layer in zone.layers.values():
        assert layer.crs.to_epsg() == 4490
        assert len(layer) >= 1 and layer["name"].notna().all()
        assert (layer.geometry.geom_type == "Point").all()


def test_inside_the_investment_zone(zone: DemoZone) -> None:
    lon_min, lat_min, lon_max, lat_max = zone.assets.total_bounds
    assert lon_min > 118.70 and lon_max < 118.85
    assert lat_min > 24.90 and lat_max < 25.03


# ------------------------------------------------------------------------------ geometry


def test_parcels_valid_and_not_overlapping(metric: gpd.GeoDataFrame) -> None:
    geoms = metric.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    polys = geoms[shapely.get_type_id(geoms) != 0]
    tree = shapely.STRtree(polys)
    pairs = tree.query(polys, predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]
    overlap = shapely.area(shapely.intersection(polys[pairs[0]], polys[pairs[1]]))
    assert overlap.sum() == pytest.approx(0.0, abs=1e-6)


def test_awkward_shapes_present(metric: gpd.GeoDataFrame) -> None:
    geoms = metric.geometry
    assert (geoms.geom_type == "MultiPolygon").sum() >= 3
    # L-shapes: polygons with six corners
    corners = shapely.get_num_coordinates(geoms[geoms.geom_type == "Polygon"].to_numpy()) - 1
    assert (corners == 6).sum() >= 3


# ------------------------------------------------------------------------------ public cases


def test_taifeng_case(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    a = _row(zone.assets, "TS-0001")
    m = _row(metric, "TS-0001")
    assert a["name"] == "泰丰闲置厂区"
    assert a["kind"] == "campus" and a["status"] == "idle"
    assert m.geometry.area / MU == pytest.approx(168.0, rel=0.01)
    assert a["declared_land_area_m2"] == pytest.approx(168.0 * MU)
    assert a["building_area_m2"] == pytest.approx(60_000, rel=0.02)
    assert (a["land_use"], a["land_use_scheme"]) == ("1001", "2020")
    assert a["tenure"] == ["lease", "transfer"]
    assert bool(a["net_land"])
    assert a["obstacles"] == []
    assert 0 <= (a["ready_date"] - zone.as_of).days <= 30
    assert "泰丰" in a["owner"] and "合成" in a["owner"]


def test_court_auction_case(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    a = _row(zone.assets, "TS-0002")
    assert a["kind"] in ("campus", "factory")
    assert a["status"] in ("idle", "low_efficiency")
    assert _row(metric, "TS-0002").geometry.area / MU == pytest.approx(156.0, rel=0.01)
    assert a["declared_land_area_m2"] == pytest.approx(156.0 * MU)
    assert a["building_area_m2"] == pytest.approx(66_000, rel=0.02)
    assert a["tenure"] == ["lease_then_transfer", "auction"]
    assert (a["land_use"], a["land_use_scheme"]) == ("1001", "2020")
    assert sum(o["delay_days"] for o in a["obstacles"]) <= 60


def test_liao_paper_case(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    a = _row(zone.assets, "TS-0003")
    assert a["status"] in ("low_efficiency", "available")
    kinds = {o["kind"]: o["delay_days"] for o in a["obstacles"]}
    assert kinds.keys() >= {"planning_adjustment", "land_consolidation"}
    assert kinds["planning_adjustment"] >= 90 and kinds["land_consolidation"] >= 60
    firm = zone.firms[zone.firms["firm_id"] == "F-LIAO"]
    assert len(firm) == 1 and firm["industry"].iloc[0] == "C22"
    plant = firm.to_crs(METRIC).geometry.iloc[0]
    dist = metric.set_index("asset_id").distance(plant)
    assert dist["TS-0003"] < 200.0
    assert dist["TS-0003"] == dist.min()
    near = dist[(dist < 1000.0) & (dist.index != "TS-0003")]
    assert len(near) >= 2


def test_decoys_make_ranking_a_real_test(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    mu = metric.set_index("asset_id").area / MU
    a = zone.assets.set_index("asset_id")
    big = a[(a["kind"] == "campus") & mu.between(120, 250)].drop(index=["TS-0001", "TS-0002"])
    assert len(big) >= 5
    blocked = big["obstacles"].map(lambda obs: sum(o["delay_days"] for o in obs) > 90)
    assert blocked.any()
    assert (big["building_area_m2"] < 50_000).any()


def test_chemicals_near_some_sites_not_taifeng(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    chem = zone.firms[zone.firms["industry"].str.startswith("C26")].to_crs(METRIC)
    assert 5 <= len(chem) <= 0.05 * len(zone.firms)
    tree = cKDTree(np.column_stack([chem.geometry.x, chem.geometry.y]))
    centres = metric.geometry.centroid
    dist, _ = tree.query(np.column_stack([centres.x, centres.y]))
    by_id = pd.Series(dist, index=metric["asset_id"])
    assert ((by_id > 500) & (by_id < 2000)).sum() >= 5
    assert by_id["TS-0001"] > 2000


# ------------------------------------------------------------------------------ history


def test_replay_of_events_gives_assets(zone: DemoZone) -> None:
    state = _replay(zone.initial, zone.events)
    replayed = gpd.GeoDataFrame(
        {c: pd.Series(v, dtype=object) for c, v in state.items() if c != "geometry"},
        geometry=state["geometry"],
        crs=zone.initial.crs,
    )
    assert _frames_equal(replayed, zone.assets, list(zone.assets.columns)) == []
    # the history is not trivial: initial differs from assets
    assert _frames_equal(zone.initial, zone.assets, list(zone.assets.columns))


def test_events_shape_and_window(zone: DemoZone) -> None:
    ev = zone.events
    assert list(ev.columns) == ["asset_id", "at", "field", "value", "author", "note"]
    assert 5 <= len(ev) / len(zone.assets) <= 15
    assert ev["at"].is_monotonic_increasing
    start = zone.as_of - timedelta(days=730)
    assert all(type(d) is date and start < d <= zone.as_of for d in ev["at"])
    assert set(ev["field"]) <= set(DEMO_ASSET_COLUMNS[1:]) | {"geometry"}
    assert {"status", "rent_yuan_m2_month", "obstacles", "owner", "geometry"} <= set(ev["field"])
    assert set(ev["asset_id"]) <= set(zone.assets["asset_id"])
    assert ev["note"].str.contains(r"[\u4e00-\u9fff]").all()
    assert ev["author"].str.len().gt(0).all()
    geo = ev[ev["field"] == "geometry"]
    assert 1 <= len(geo) <= 3
    assert all(isinstance(g, shapely.Polygon | shapely.MultiPolygon) for g in geo["value"])
    # obstacles are solved: some obstacle lists shrink
    obst = ev[ev["field"] == "obstacles"]
    first = zone.initial.set_index("asset_id")["obstacles"]
    shrunk = [len(v) < len(first[a]) for a, v in zip(obst["asset_id"], obst["value"], strict=True)]
    assert any(shrunk)
    # status walks plausible paths: nothing jumps from leased back to idle
    status = ev[ev["field"] == "status"]
    assert not (
        (status["value"] == "idle")
        & status["asset_id"].isin(zone.initial.loc[zone.initial["status"] == "leased", "asset_id"])
    ).any()


def test_deals(zone: DemoZone, metric: gpd.GeoDataFrame) -> None:
    d = zone.deals
    assert list(d.columns) == [
        "deal_id",
        "investor",
        "industry",
        "signed_at",
        "asset_id",
        "requirements",
        "outcome",
    ]
    assert d["deal_id"].is_unique and (d["outcome"] == "signed").all()
    start = zone.as_of - timedelta(days=730)
    assert all(start < s <= zone.as_of for s in d["signed_at"])
    a = zone.assets.set_index("asset_id")
    area_mu = metric.set_index("asset_id").area / MU
    area_mu = area_mu.where(a.geometry.geom_type != "Point", a["declared_land_area_m2"] / MU)
    for deal in d.itertuples():
        asset = a.loc[deal.asset_id]
        req = deal.requirements
        assert asset["status"] in ("leased", "transferred", "in_use")
        assert deal.industry in schema.INDUSTRIES and req["industry"] == deal.industry
        assert req["investor"] == deal.investor
        assert req["land_use"] == asset["land_use"]
        lo, hi = req["land_area_mu"]
        assert lo <= area_mu[deal.asset_id] <= hi
        if asset["building_area_m2"] > 0:
            assert req["building_area_m2"][0] <= asset["building_area_m2"]
            assert req["building_area_m2"][1] is None
        assert set(req["tenure"]) & set(asset["tenure"])
        if req["max_rent_yuan_m2_month"] is not None:
            assert asset["rent_yuan_m2_month"] <= req["max_rent_yuan_m2_month"]
        assert (asset["ready_date"] - deal.signed_at).days <= req["ready_within_days"]
        assert req["near_industries"][deal.industry] == 1.0
        assert set(req["priorities"]) == {"size", "readiness", "cost", "synergy"}
    # a signing shows in the history on the day of the deal
    ev = zone.events
    for deal in d.itertuples():
        hits = ev[(ev["asset_id"] == deal.asset_id) & (ev["field"] == "status")]
        assert hits["at"].iloc[-1] == deal.signed_at


# ------------------------------------------------------------------------------ determinism


def test_same_seed_same_zone(zone: DemoZone) -> None:
    again = generate_zone()
    assert _frames_equal(again.assets, zone.assets, list(zone.assets.columns)) == []
    assert _frames_equal(again.initial, zone.initial, list(zone.initial.columns)) == []
    assert _frames_equal(again.events, zone.events, list(zone.events.columns)) == []
    assert _frames_equal(again.firms, zone.firms, list(zone.firms.columns)) == []
    assert _frames_equal(again.deals, zone.deals, list(zone.deals.columns)) == []
    for name, layer in zone.layers.items():
        assert _frames_equal(again.layers[name], layer, list(layer.columns)) == []


def test_other_seed_other_zone(zone: DemoZone) -> None:
    other = generate_zone(7)
    assert other.seed == 7
    assert not np.allclose(other.firms.geometry.x.to_numpy(), zone.firms.geometry.x.to_numpy())
    assert list(other.assets["name"].iloc[3:20]) != list(zone.assets["name"].iloc[3:20])
    # the public cases keep their published figures under any seed
    m = other.assets.to_crs(METRIC).set_index("asset_id").area / MU
    assert m["TS-0001"] == pytest.approx(168.0, rel=0.01)
    assert m["TS-0002"] == pytest.approx(156.0, rel=0.01)


def test_synthetic_label(zone: DemoZone) -> None:
    assert zone.synthetic is True
    assert zone.seed == 20240630
    assert zone.as_of == date(2024, 6, 30)
    note = zone.source_note
    assert "synthetic" in note.lower() and "20240630" in note
    assert "assetmatch.demo" in note
    for fact in (
        "168 mu",
        "60,000",
        "156 mu",
        "66,000",
        "lease-then-transfer",
        "auction",
        "planning adjustment",
        "consolidation",
    ):
        assert fact in note
    assert "DemoZone(seed=20240630" in repr(zone)


def test_firms_clustered_by_industry(zone: DemoZone) -> None:
    f = zone.firms.to_crs(METRIC)
    xy = np.column_stack([f.geometry.x, f.geometry.y])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    rng = np.random.default_rng(0)
    division = f["industry"].str[:3].to_numpy()
    checked = 0
    for code in ("C19", "C18", "C30", "C39", "C22", "G59"):
        pts = xy[division == code]
        assert len(pts) >= 50, code
        nn = cKDTree(pts).query(pts, k=2)[0][:, 1].mean()
        uniform = rng.uniform(lo, hi, size=pts.shape)
        nn_uniform = cKDTree(uniform).query(uniform, k=2)[0][:, 1].mean()
        assert nn < 0.5 * nn_uniform, code
        checked += 1
    assert checked == 6


# ------------------------------------------------------------------------------ files


def test_write_and_read_round_trip(zone: DemoZone, tmp_path) -> None:
    files = write_zone(zone, tmp_path / "demo_zone")
    names = {p.relative_to(tmp_path / "demo_zone").as_posix() for p in files}
    assert {
        "assets.geojson",
        "initial.geojson",
        "firms.geojson",
        "events.csv",
        "deals.csv",
        "zone.json",
        "layers/port.geojson",
    } <= names
    back = read_zone(tmp_path / "demo_zone")
    assert back.seed == zone.seed and back.as_of == zone.as_of and back.synthetic
    assert back.source_note == zone.source_note
    assert _frames_equal(back.assets, zone.assets, list(zone.assets.columns)) == []
    assert _frames_equal(back.initial, zone.initial, list(zone.initial.columns)) == []
    assert _frames_equal(back.events, zone.events, list(zone.events.columns)) == []
    assert _frames_equal(back.firms, zone.firms, list(zone.firms.columns)) == []
    assert list(back.deals["requirements"]) == list(zone.deals["requirements"])
    # GDAL reads the GeoJSON with its CGCS2000 CRS and lon/lat order
    gdal = gpd.read_file(tmp_path / "demo_zone" / "assets.geojson")
    assert gdal.crs.to_epsg() == 4490
    assert len(gdal) == len(zone.assets)
    assert gdal.total_bounds == pytest.approx(zone.assets.total_bounds)


def test_the_committed_demo_files_are_what_make_demo_writes(zone: DemoZone, tmp_path) -> None:
    """data/demo_zone/ and data/README.md, byte for byte, as scripts/make_demo.py writes them
    (regenerate with ``python scripts/make_demo.py`` when the generator or its wording changes)."""
    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "scripts" / "make_demo.py")
    make_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_demo)
    assert make_demo.DEFAULT_OUT == ROOT / "data" / "demo_zone"
    assert zone.seed == 20240630  # the script's default seed
    written = write_zone(zone, tmp_path / "demo_zone")
    committed = sorted(
        p.relative_to(ROOT / "data" / "demo_zone")
        for p in make_demo.DEFAULT_OUT.rglob("*")
        if p.is_file()
    )
    assert committed == sorted(p.relative_to(tmp_path / "demo_zone") for p in written)
    stale = [
        str(p)
        for p in committed
        if (ROOT / "data" / "demo_zone" / p).read_bytes()
        != (tmp_path / "demo_zone" / p).read_bytes()
    ]
    assert stale == [], "stale demo files; run python scripts/make_demo.py"
    assert (ROOT / "data" / "README.md").read_text(encoding="utf-8") == make_demo.readme(zone)
    # the current names (not the earlier 廖氏 / 低效), and the synthetic label kept
    text = "".join((ROOT / "data" / "demo_zone" / p).read_text(encoding="utf-8") for p in committed)
    assert "利澳纸业" in text and "廖氏" not in text and "低效→" not in text
    assert "Synthetic data" in (ROOT / "data" / "demo_zone" / "zone.json").read_text(
        encoding="utf-8"
    )


def test_without_public_cases() -> None:
    z = generate_zone(3, n_assets=60, n_firms=400, n_deals=5, include_public_cases=False)
    assert len(z.assets) == 60 and len(z.firms) == 400
    assert "F-LIAO" not in set(z.firms["firm_id"])
    assert "泰丰闲置厂区" not in set(z.assets["name"])
    assert "Taifeng" not in z.source_note
    assert (
        _frames_equal(
            gpd.GeoDataFrame(_replay(z.initial, z.events), crs=4490),
            z.assets,
            list(z.assets.columns),
        )
        == []
    )


@pytest.mark.parametrize(("seed", "n_assets", "n_firms"), [(11, 40, 20), (0, 13, 20), (7, 14, 21)])
def test_smallest_zones_generate(seed: int, n_assets: int, n_firms: int) -> None:
    # The smallest sizes the arguments allow: a seed whose 5 % of contacts to change is
    # empty once raised numpy's "zero-size array" from zero-padding (seed 11, 40 assets).
    z = generate_zone(seed, n_assets=n_assets, n_firms=n_firms)
    assert len(z.assets) == n_assets and len(z.firms) == n_firms
    assert z.assets["asset_id"].is_unique and z.firms["firm_id"].is_unique
    assert z.assets["contact"].str.fullmatch(r"138-0000-\d{4}").all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_assets": 5}, "'n_assets' parameter"),
        ({"n_firms": 0}, "'n_firms' parameter"),
        ({"history_years": 0}, "'history_years' parameter"),
        ({"n_deals": -1}, "'n_deals' parameter"),
        ({"as_of": "2024-06-30"}, "'as_of' parameter"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_zone(**kwargs)


def test_bad_arguments_listed_together() -> None:
    with pytest.raises(AssetmatchError) as info:
        generate_zone(n_assets=1, n_firms=1)
    assert isinstance(info.value, ValueError)
    assert [p.field for p in info.value.problems] == ["n_assets", "n_firms"]
    assert "Got 1 instead" in str(info.value)


# ------------------------------------------------------------------------------ scale


@pytest.mark.slow
def test_large_zone_is_fast_and_consistent() -> None:
    t0 = time.perf_counter()
    z = generate_zone(11, n_assets=100_000, n_firms=1_000_000)
    elapsed = time.perf_counter() - t0
    assert elapsed < 60.0
    assert len(z.assets) == 100_000 and len(z.firms) == 1_000_000
    assert z.assets["asset_id"].is_unique and z.firms["firm_id"].is_unique
    assert {"TS-0001", "TS-0002", "TS-0003"} <= set(z.assets["asset_id"])
    assert z.assets["district"].nunique() > 100
    assert len(z.deals) == 36
    geoms = z.assets.to_crs(METRIC).geometry.to_numpy()
    polys = geoms[shapely.get_type_id(geoms) != 0]
    pairs = shapely.STRtree(polys).query(polys, predicate="intersects")
    assert (pairs[0] == pairs[1]).all()
    assert shapely.is_valid(geoms).all()
    lon_min, lat_min, lon_max, lat_max = z.assets.total_bounds
    assert lon_min > 116.5 and lon_max < 119.0 and lat_min > 24.9 and lat_max < 27.0
