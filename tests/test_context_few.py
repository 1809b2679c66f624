"""The few-asset context path (context.few) gives exactly the whole-table kernel's rows."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import assetmatch as am
from assetmatch import ValidationError
from assetmatch.context import FirmIndex, context_features, few
from assetmatch.context.engine import context_columns, context_rows
from assetmatch.demo.zone import generate_zone
from assetmatch.domain.industry import ConflictRule

CRS_M = "EPSG:4549"
X0, Y0 = 500_000.0, 2_750_000.0


def _same(got: dict, want: dict, rows: np.ndarray | None = None) -> None:
    """Column by column: same names and order, same dtype, exactly the same values."""
    assert list(got) == list(want)
    for name, w in want.items():
        w = np.asarray(w)
        w = w if rows is None else w[rows]
        g = np.asarray(got[name])
        assert g.dtype == w.dtype, name
        if w.dtype == object:
            assert g.tolist() == w.tolist(), name
        else:
            assert np.array_equal(g, w, equal_nan=True), name


def _rows(
    ids: list, geoms: list, crs: str, index: FirmIndex, kw: dict, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict, dict]:
    """``context_rows`` of the assets by the few-asset path and by the whole-table kernel."""
    got = context_rows(ids, np.asarray(geoms, dtype=object), crs, index, **kw)
    with monkeypatch.context() as m:
        m.setattr(few, "FEW_ASSETS", 0)
        want = context_rows(ids, np.asarray(geoms, dtype=object), crs, index, **kw)
    assert got[0].equals(want[0]) and got[0].name == "asset_id"
    assert got[2] == want[2]
    return got[1], want[1]


def _zone_inputs(seed: int, n_assets: int, n_firms: int) -> tuple[gpd.GeoDataFrame, dict]:
    zone = generate_zone(seed=seed, n_assets=n_assets, n_firms=n_firms)
    assets = zone.assets.to_crs(CRS_M).set_index("asset_id")[["geometry"]]
    layers = {k: v.to_crs(CRS_M) for k, v in zone.layers.items()}
    # a residential area over part of the zone: conflict flags against a layer
    b = assets.total_bounds
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    layers["residential"] = gpd.GeoDataFrame(
        geometry=[shapely.box(cx - 300, cy - 300, cx + 300, cy + 300)], crs=CRS_M
    )
    index = FirmIndex.build(zone.firms.to_crs(CRS_M), CRS_M)
    return assets, {"index": index, "layers": layers}


@pytest.mark.parametrize("whole", [True, False], ids=["all-pairs", "windows"])
def test_zone_rows_equal_the_whole_table_kernel(
    whole: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not whole:  # every asset through its own window of the grid, as for a huge firm table
        monkeypatch.setattr(few, "_ALL_PAIRS", 0)
        monkeypatch.setattr(few, "_LAYER_FEATURES", 0)  # and the layers through their trees
        monkeypatch.setattr(few, "_SHAPELY_PAIRS", 0)  # open pairs estimated first
    assets, inp = _zone_inputs(seed=5, n_assets=240, n_firms=600)
    index, layers = inp["index"], inp["layers"]
    # an asset 20 km beyond the zone's corner, one on its edge
    b = assets.total_bounds
    extra = gpd.GeoDataFrame(
        geometry=[
            shapely.box(b[2] + 20_000, b[3] + 20_000, b[2] + 20_300, b[3] + 20_200),
            shapely.box(b[0] - 150, b[1], b[0] + 50, b[1] + 250),
        ],
        index=pd.Index(["FAR", "EDGE"], name="asset_id"),
        crs=CRS_M,
    )
    assets = pd.concat([assets, extra])
    kw = {"layers": layers}  # the default conflict rules, with a residential layer
    full = context_features(assets, index, **kw)
    ids = assets.index.tolist()
    geoms = np.asarray(assets.geometry.array, dtype=object)
    # the cases the tests are about are in this zone
    types = shapely.get_type_id(geoms)
    assert (types == 0).any() and (types == 6).any()
    assert (full.filter(regex=r"^n_.*_5000m$").loc["FAR"] == 0).all()  # no firm within 5 km
    far = full.filter(regex=r"^nearest_.*_m$").to_numpy(dtype=float)
    assert (np.isfinite(far) & (far > 5000)).any()  # nearest firms beyond the largest radius
    near_res = full.filter(regex=r"^breach_.*_near_residential$")
    assert near_res.to_numpy().any()  # parcels near the residential layer
    context_columns(assets.iloc[:2].reset_index(), index, **kw)  # keeps the setup
    rng = np.random.default_rng(1)
    for i in range(len(ids)):
        got, want = _rows([ids[i]], [geoms[i]], CRS_M, index, kw, monkeypatch)
        _same(got, want)
        _same(got, {k: full[k].to_numpy() for k in full.columns}, np.array([i]))
        moved = shapely.affinity.translate(geoms[i], *rng.normal(0.0, 400.0, 2))
        got, want = _rows([ids[i]], [moved], CRS_M, index, kw, monkeypatch)
        _same(got, want)
    for _ in range(12):  # a few assets at once
        sel = rng.choice(len(ids), size=int(rng.integers(2, few.FEW_ASSETS + 1)), replace=False)
        got, want = _rows([ids[i] for i in sel], list(geoms[sel]), CRS_M, index, kw, monkeypatch)
        _same(got, want)
        _same(got, {k: full[k].to_numpy() for k in full.columns}, sel)


def test_hand_made_parcels_equal_the_whole_table_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Firms exactly at a radius, inside, on the boundary; a huge L-shaped parcel whose
    rectangle gap straddles every radius; a parcel with a hole; an invalid (self-crossing)
    parcel; a point; an asset far from every firm."""
    xy = [
        (X0 + 300, Y0 + 300),  # inside the square
        (X0 + 600, Y0 + 300),  # on its edge
        (X0 + 300, Y0 + 1600),  # exactly 1000 m north
        (X0 + 300, Y0 + 3600.0000001),  # just beyond 3000 m
        (X0 - 5000, Y0 + 300),  # exactly 5000 m west
        (X0 + 2500, Y0 + 2500),  # in the L's notch
        (X0 + 7000, Y0 + 7000),
        (X0 + 4000, Y0 - 900),
    ]
    inds = ["C19", "C19", "C26", "C26", "P83", "C19", "C33", "C2661"]
    firms = gpd.GeoDataFrame(
        {"firm_id": [f"F{i}" for i in range(len(xy))], "industry": inds},
        geometry=shapely.points(*zip(*xy, strict=True)),
        crs=CRS_M,
    )
    index = FirmIndex.build(firms, CRS_M)
    square = shapely.box(X0, Y0, X0 + 600, Y0 + 600)
    ell = shapely.Polygon(
        [(X0, Y0), (X0 + 6000, Y0), (X0 + 6000, Y0 + 1000), (X0 + 1000, Y0 + 1000),
         (X0 + 1000, Y0 + 6000), (X0, Y0 + 6000)]
    )  # fmt: skip
    holed = shapely.Polygon(
        [(X0 + 2000, Y0 + 2000), (X0 + 3000, Y0 + 2000), (X0 + 3000, Y0 + 3000),
         (X0 + 2000, Y0 + 3000)],
        [[(X0 + 2400, Y0 + 2400), (X0 + 2600, Y0 + 2400), (X0 + 2600, Y0 + 2600),
          (X0 + 2400, Y0 + 2600)]],
    )  # fmt: skip
    bowtie = shapely.Polygon(
        [(X0 + 100, Y0 + 100), (X0 + 500, Y0 + 500), (X0 + 500, Y0 + 100), (X0 + 100, Y0 + 500)]
    )
    multi = shapely.MultiPolygon([square, shapely.box(X0 + 900, Y0, X0 + 1200, Y0 + 300)])
    geoms = [
        square,
        ell,
        holed,
        bowtie,
        multi,
        shapely.Point(X0 + 300, Y0 + 300),
        shapely.Point(X0 + 90_000, Y0 + 90_000),
        shapely.affinity.rotate(square, 17, origin="centroid"),
    ]
    ids = [f"A{i}" for i in range(len(geoms))]
    rules = [
        ConflictRule("C26", "P83", 1000),
        ConflictRule("C33", "residential", 2000),
    ]
    layers = {
        "residential": gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 300, Y0 + 2300)], crs=CRS_M),
        "port": gpd.GeoDataFrame(geometry=[], crs=CRS_M),  # empty: access inf
    }
    kw = {
        "layers": layers,
        "conflicts": rules,  # not kept: through context_columns each time
        "radii_m": [1000, 3000, 5000],
    }
    assets = gpd.GeoDataFrame({"asset_id": ids}, geometry=geoms, crs=CRS_M)
    full = context_features(assets, index, **kw)
    context_columns(assets.iloc[:1], index, **kw)  # keeps the setup
    for whole in (True, False):
        with monkeypatch.context() as m:
            if not whole:
                m.setattr(few, "_ALL_PAIRS", 0)
            for i in range(len(ids)):
                got, want = _rows([ids[i]], [geoms[i]], CRS_M, index, kw, monkeypatch)
                _same(got, want)
                _same(got, {k: full[k].to_numpy() for k in full.columns}, np.array([i]))
            got, want = _rows(ids, geoms, CRS_M, index, kw, monkeypatch)
            _same(got, want)
            _same(got, {k: full[k].to_numpy() for k in full.columns})
    row = full.loc["A0"]
    assert row["n_C19_1000m"] == 2 and row["n_C26_1000m"] == 1 and row["n_C26_3000m"] == 1
    assert row["n_P83_5000m"] == 1 and row["nearest_C19_m"] == 0.0
    assert np.isinf(full.loc["A0", "access_port_m"])
    assert full.loc["A6", "n_C19_5000m"] == 0 and full.loc["A6", "nearest_C33_m"] > 5000


def test_demo_inventory_rows_equal_the_whole_table_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows an edit of the demo inventory recomputes, for every demo asset as stored."""
    inv = am.Inventory.demo(tmp_path / "demo.gpkg")
    ctx = inv.context()
    assets = inv.assets()
    geoms = np.asarray(assets.geometry.array, dtype=object)
    ids = assets.index.tolist()
    seen: list[tuple] = []
    real = context_rows

    def spy(*args: object, **kw: object) -> object:
        seen.append((args, kw))
        return real(*args, **kw)

    import assetmatch.context.engine as engine

    monkeypatch.setattr(engine, "context_rows", spy)
    moved = shapely.affinity.translate(geoms[5], xoff=3.0)
    inv.update(ids[5], geometry=gpd.GeoSeries([moved], crs=assets.crs))
    monkeypatch.undo()
    assert seen, "the edit did not go through context_rows"
    (rid, rgeoms, crs, index, *_), kw = seen[0]
    for i in range(len(ids)):
        g = shapely.to_wkb(geoms[i])  # as the store holds it
        got, want = _rows([ids[i]], [shapely.from_wkb(g)], crs, index, kw, monkeypatch)
        _same(got, want)
    got, _ = _rows(list(rid), list(rgeoms), crs, index, kw, monkeypatch)
    new = inv.context()
    _same(got, {k: new[k].to_numpy() for k in new.columns}, new.index.get_indexer(rid))
    assert list(got) == list(ctx.columns)


@pytest.mark.parametrize(
    "bad",
    [shapely.LineString([(X0, Y0), (X0 + 10, Y0)]), shapely.Polygon(), None],
    ids=["line", "empty", "none"],
)
def test_invalid_geometry_raises_what_the_frame_path_raises(bad: object) -> None:
    firms = gpd.GeoDataFrame({"industry": ["C19"]}, geometry=[shapely.Point(X0, Y0)], crs=CRS_M)
    index = FirmIndex.build(firms, CRS_M)
    ok = shapely.box(X0, Y0, X0 + 10, Y0 + 10)
    context_columns(gpd.GeoDataFrame({"asset_id": ["K"]}, geometry=[ok], crs=CRS_M), index)
    geoms = np.array([ok, bad], dtype=object)
    with pytest.raises(ValidationError) as fast:
        context_rows(["A", "B"], geoms, CRS_M, index)
    with pytest.raises(ValidationError) as frame:
        context_features(
            gpd.GeoDataFrame({"asset_id": ["A", "B"]}, geometry=list(geoms), crs=CRS_M), index
        )
    assert str(fast.value) == str(frame.value)
    assert [(p.row, p.field) for p in fast.value.problems] == [("B", "geometry")]
    with pytest.raises(ValidationError, match="more than once"):
        context_rows(["A", "A"], np.array([ok, ok], dtype=object), CRS_M, index)


def test_few_path_columns_are_arrays_of_the_table_dtypes() -> None:
    assets, inp = _zone_inputs(seed=9, n_assets=40, n_firms=200)
    index, layers = inp["index"], inp["layers"]
    frame = assets.iloc[:3].reset_index()
    want = context_features(frame, index, layers=layers)
    ids, cols, _ = context_columns(frame, index, layers=layers)
    assert all(isinstance(v, np.ndarray) for v in cols.values())
    got = pd.DataFrame({k: pd.Series(v, index=ids, dtype=v.dtype) for k, v in cols.items()})
    pd.testing.assert_frame_equal(got, want, check_exact=True)
