"""Property tests (issue 8): random frames, files, dates and geometries through the public API.

Whatever goes in, only an :class:`assetmatch.AssetmatchError` may come out, no numpy warning
escapes, and the store still reads (current state, a past date, the context) afterwards.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

import assetmatch as am
from conftest import LAT0, LON0, square_lonlat

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is shown unshrunk
    # the same examples on every run, so the suite is never red by chance; explore more with
    # pytest --hypothesis-seed=<n> -p no:cacheprovider tests/test_hardening_properties.py
    derandomize=True,
)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e308, -1e308, 1e-320, 3.0, 150.0]),
)
texts = st.text(max_size=12)
dates = st.one_of(
    st.none(),
    texts,
    st.sampled_from(
        [
            "2025-01-01",
            "9999-12-31",
            "1500-01-01",
            "03/04/2025",
            "31/12/2025",
            "yesterday",
            "",
            "2025年3月",
            "2200-12-31",
            "1900-01-01",
            "2025-02-30",
        ]
    ),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, __import__("datetime").UTC])),
    floats,
)
coords = st.tuples(
    st.one_of(st.floats(LON0 - 0.05, LON0 + 0.05), floats),
    st.one_of(st.floats(LAT0 - 0.05, LAT0 + 0.05), floats),
)


@st.composite
def geometries(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["square", "point", "ring", "none", "wild"]))
    x, y = draw(coords)
    if kind == "none":
        return None
    if kind == "point":
        return Point(x, y)
    if kind == "square":
        side = draw(st.floats(0.0, 3000.0))
        if not (math.isfinite(x) and math.isfinite(y)) or abs(y) > 80:
            return Point(x, y)
        return square_lonlat(x, y, side)
    pts = draw(st.lists(coords, min_size=3, max_size=6))
    try:
        with np.errstate(all="ignore"):  # shapely's own warning on building a NaN ring
            return Polygon(pts)
    except Exception:  # shapely refuses some rings itself: that is not the library's input
        return None


def _store(path: Path) -> am.Inventory:
    inv = am.Inventory.open(path)
    inv.add(
        gpd.GeoDataFrame(
            {"asset_id": ["BASE"], "kind": ["land"], "status": ["idle"]},
            geometry=[square_lonlat(LON0, LAT0, 300)],
            crs="EPSG:4490",
        ),
        at="2025-01-01",
        on_error="raise",
    )
    inv.add_firms(
        gpd.GeoDataFrame(
            {"firm_id": ["F0"], "industry": ["C39"]},
            geometry=[Point(LON0 + 0.01, LAT0)],
            crs="EPSG:4490",
        )
    )
    return inv


def _only_assetmatch_errors(fn, *args, **kw) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with contextlib.suppress(am.AssetmatchError):
            fn(*args, **kw)


def _still_reads(inv: am.Inventory) -> None:
    a = inv.assets()
    assert "BASE" in a.index
    inv.assets(as_of="2025-06-01")
    ctx = inv.context()
    assert set(ctx.index) == set(a.index)


@pytest.fixture(scope="module")
def inv(tmp_path_factory: pytest.TempPathFactory) -> am.Inventory:
    # under pytest's temporary root (its old runs are cleaned up), not a stray /tmp folder
    inv = _store(tmp_path_factory.mktemp("am-prop") / "zone.gpkg")
    yield inv
    inv.close()


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("am-prop-files")


@SETTINGS
@given(
    ids=st.lists(st.one_of(texts, st.integers(), st.none()), min_size=1, max_size=4),
    data=st.data(),
)
def test_random_frames(inv, ids, data):
    n = len(ids)
    frame = gpd.GeoDataFrame(
        {
            "asset_id": ids,
            "kind": data.draw(
                st.lists(st.sampled_from(["land", "factory", "x", None]), min_size=n, max_size=n)
            ),
            "status": data.draw(
                st.lists(st.sampled_from(["idle", "可出让", "闲置", "?"]), min_size=n, max_size=n)
            ),
            "面积（亩）": data.draw(st.lists(floats, min_size=n, max_size=n)),
            "rent_yuan_m2_month": data.draw(st.lists(floats, min_size=n, max_size=n)),
            "idle_since": data.draw(st.lists(dates, min_size=n, max_size=n)),
            "extra_col": data.draw(st.lists(st.one_of(floats, texts), min_size=n, max_size=n)),
        },
        geometry=data.draw(st.lists(geometries(), min_size=n, max_size=n)),
        crs="EPSG:4490",
    )
    _only_assetmatch_errors(inv.add, frame, at=data.draw(dates))
    _still_reads(inv)


@SETTINGS
@given(at=dates, as_of=dates, rent=floats, geom=geometries(), extra=st.dictionaries(texts, floats))
def test_random_updates_and_dates(inv, at, as_of, rent, geom, extra):
    _only_assetmatch_errors(inv.update, "BASE", at=at, rent_yuan_m2_month=rent)
    _only_assetmatch_errors(inv.update, "BASE", at="2025-03-01", geometry=geom, crs="EPSG:4490")
    _only_assetmatch_errors(inv.update, "BASE", at="2025-03-01", extra=extra)
    _only_assetmatch_errors(inv.assets, as_of=as_of)
    _still_reads(inv)


@SETTINGS
@given(
    pts=st.lists(coords, min_size=1, max_size=3),
    ids=st.lists(texts, min_size=1, max_size=3),
    name=st.one_of(texts, st.sampled_from(["Exits", "exits", "assets", "ports"])),
    column=texts,
)
def test_random_firms_and_layers(inv, pts, ids, name, column):
    n = min(len(pts), len(ids))
    firms = gpd.GeoDataFrame(
        {"firm_id": ids[:n], "industry": ["C39"] * n},
        geometry=[Point(x, y) for x, y in pts[:n]],
        crs="EPSG:4490",
    )
    _only_assetmatch_errors(inv.add_firms, firms)
    layer = gpd.GeoDataFrame(
        {column or "c": [1] * n}, geometry=[Point(x, y) for x, y in pts[:n]], crs="EPSG:4490"
    )
    _only_assetmatch_errors(inv.add_layer, name, layer)
    _still_reads(inv)


@SETTINGS
@given(
    suffix=st.sampled_from([".csv", ".xlsx", ".gpkg", ".geojson", ".dat", ".txt"]),
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"asset_id,\xe7\xbb\x8f\xe5\xba\xa6,\xe7\xba\xac\xe5\xba\xa6\n",
                b"asset_id,lon,lat\nA9,118.86,24.95\n",
                b"asset_id,lon,lat\nA9,nan,inf\nA10,1e308,-1e308\n",
                b"SQLite format 3\x00" + b"\x01" * 100,
            ]
        ),
    ),
)
def test_random_files(inv, files_dir, suffix, content):
    path = Path(tempfile.mkdtemp(dir=files_dir)) / f"in{suffix}"  # one folder per example
    path.write_bytes(content)
    _only_assetmatch_errors(inv.import_file, path, at="2025-02-01")
    _still_reads(inv)


@SETTINGS
@given(doc=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_random_requirements_documents(doc):
    _only_assetmatch_errors(am.Requirements.from_json, doc)


def test_random_values_did_reach_the_store(inv):
    # the properties above are not vacuous: good rows among the random ones were written
    assert len(inv.assets()) >= 1
    assert np.isfinite(inv.assets()["land_area_m2"].dropna()).all()
    assert isinstance(inv.assets(as_of="2025-06-01"), pd.DataFrame)
