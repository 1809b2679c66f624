"""The one-asset update path writes what the general path writes (session 6).

``Inventory.update`` of one asset reads plain values without a frame
(:func:`assetmatch.ingest.values.parse_scalar`, ``inventory._long_columns``) and reads and
writes through the stores' :meth:`read_for_update` / :meth:`write_update` (one statement each
in the PostGIS store). Each test checks one of these against what it replaces: ``parse_values``
of a one-row frame, the frame's inference, and the store calls ``read_asset_columns`` +
``created_at`` + ``metas`` / ``append_events`` + ``upsert_asset_columns`` + ``set_metas``, on
both stores, down to the stored rows, the events, the settings and the history answers.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import assetmatch as am
from assetmatch import inventory as inventory_mod
from assetmatch.ingest import values as ingest_values
from assetmatch.schema import ASSET_COLUMNS, DERIVED_ASSET_COLUMNS

UPDATABLE = [c for c in ASSET_COLUMNS if c not in ("asset_id", *DERIVED_ASSET_COLUMNS)]
SAMPLES = [
    0,
    1,
    3,
    0.0,
    -0.0,
    0.35,
    1.0,
    1.5,
    12.75,
    1e300,
    -1.0,
    -3,
    2**70,
    10**400,
    math.inf,
    math.nan,
    True,
    False,
    None,
    "",
    " ",
    "-",
    "无数据",
    "nan",
    "idle",
    "negotiating",
    "vacant",
    "洽谈中",
    "land",
    "plant",
    "厂房",
    " idle",
    "idle ",
    "张三",
    "泉州台商投资区",
    "a\tb",
    "x\u3000",
    "12.5",
    "1,200",
    "2024-05-01",
    "lease",
]


def _by_frame(field: str, value) -> tuple[object, list, list]:
    """What ``parse_values`` makes of one value of ``field`` (as the update path calls it)."""
    given = np.empty(1, dtype=object)
    given[0] = value
    one = pd.DataFrame({field: given}, index=pd.Index([0]))
    parsed, problems, notes = ingest_values.parse_values(
        one, ingest_values.ColumnMap({field: (field, None)}, [])
    )
    return parsed[field].tolist()[0], problems, notes


@pytest.mark.parametrize("field", UPDATABLE)
def test_parse_scalar_reads_a_value_as_parse_values_does_or_leaves_it(field):
    read = 0
    for value in SAMPLES:
        got = ingest_values.parse_scalar(field, value)
        if got is ingest_values.NOT_PLAIN:
            continue
        read += 1
        want, problems, notes = _by_frame(field, value)
        assert problems == [] and notes == [], (field, value)
        assert type(got) is type(want) and (got == want), (field, value, got, want)
        assert json.dumps(got) == json.dumps(want)
    kind = ASSET_COLUMNS[field]
    if kind in ("float", "int") or field in ("status", "kind", "name", "owner", "district"):
        assert read, f"no sample of {field} is read without a frame"


def test_parse_scalar_leaves_what_needs_the_column_parsers():
    assert ingest_values.parse_scalar("rent_yuan_m2_month", True) is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("rent_yuan_m2_month", -1.0) is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("rent_yuan_m2_month", "12") is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("developed_share", 35) is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("status", "洽谈中") is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("name", " a") is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("land_use", "0601") is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("idle_since", "2024-01-01") is ingest_values.NOT_PLAIN
    assert ingest_values.parse_scalar("rent_yuan_m2_month", 12) == 12.0


@pytest.mark.parametrize(
    "values",
    [
        [1],
        [1.5],
        ["a"],
        [None],
        [True],
        [math.nan],
        [2**70],
        [1, 2],
        ["a", "b"],
        [1.5, 2.5],
        [None, None],
        [1, 2.5],
        [1, None],
        ["a", None],
        [None, "a"],
        [True, 1],
        [True, None],
        [1, "a"],
        [2**70, 1],
        [1.0, True],
    ],
)
def test_long_columns_infer_the_value_column_as_a_frame_does(values):
    rec = {"asset_id": "A", "at": None, "author": None, "note": None}
    rec.update({f"f{k}": v for k, v in enumerate(values)})
    got = inventory_mod._long_columns(rec)["value"]
    want = inventory_mod._long_changes([rec])["value"].to_numpy(dtype=object)
    assert [type(v) for v in got] == [type(v) for v in want]
    assert [repr(v) for v in got] == [repr(v) for v in want]


# ------------------------------------------------------------------ the store calls


def _old_store_calls(store) -> None:
    """Make ``store`` read and write an update with the calls read_for_update and
    write_update replace (what every update did before them)."""

    def read_for_update(ids, keys):
        return store.read_asset_columns(ids), store.created_at(ids), store.metas(keys)

    def write_update(events, columns, geoms, metas):
        store.append_events(events)
        store.upsert_asset_columns(columns, geoms)
        if metas:
            store.set_metas(metas)

    store.read_for_update = read_for_update
    store.write_update = write_update


def _edits(inv) -> list[dict]:
    a = inv.assets()
    g1, g2 = a.geometry.loc["TS-0001"], a.geometry.loc["TS-0002"]
    out: list[dict] = []
    for k in range(6):
        moved = shapely.affinity.translate(g1, xoff=2.0 * (k + 1), yoff=-1.0 * k)
        out.append({"asset_id": "TS-0001", "geometry": gpd.GeoSeries([moved], crs=a.crs)})
        out.append({"asset_id": "TS-0001", "rent_yuan_m2_month": 10.0 + k})
    out += [
        {
            "asset_id": "TS-0002",
            "status": "negotiating",
            "rent_yuan_m2_month": 9,
            "at": "2024-09-01",
        },
        {"asset_id": "TS-0002", "floors": 4, "owner": "某公司", "note": "巡查", "author": "li"},
        {"asset_id": "TS-0002", "geometry": shapely.affinity.translate(g2, yoff=3.0)},
        {"asset_id": "TS-0100", "declared_land_area_m2": 12_000, "power_kva": 800.0},
        {"asset_id": "TS-0100", "status": "洽谈中", "name": " 旧厂房 "},  # the frame parsers
        {"asset_id": "TS-0002", "rent_yuan_m2_month": 8.0, "at": "2022-07-01"},  # the replay
        {"asset_id": "TS-0002", "developed_share": 0.4, "government_delay": True},
    ]
    return out


def _everything(inv) -> dict:
    """Stored rows (geometry as WKB), events (the recording stamps and batch ids aside),
    settings, history and an as-of answer."""
    store = inv._store
    raw = store.read_assets().sort_values("asset_id").reset_index(drop=True)
    rows = pd.DataFrame(raw.drop(columns=["geometry", "recorded_at"])).assign(
        wkb=shapely.to_wkb(raw.geometry)
    )
    ev = store.read_events().drop(columns=["recorded_at", "batch_id"])
    ev = ev.assign(geom=[None if g is None else g.wkb for g in ev["geom"]])
    past = inv.assets(as_of="2024-12-31").drop(columns=["recorded_at"])
    out = {
        "rows": rows,
        "events": ev,
        "metas": store.metas(["context_dirty_assets", "context_removed"]),
        "history": inv.history("TS-0001").drop(columns=["recorded_at", "batch_id"]),
        "as_of": pd.DataFrame(past.drop(columns="geometry")).assign(
            wkb=shapely.to_wkb(past.geometry)
        ),
    }
    if store.engine == "gpkg":  # the spatial index and extent too
        out["rtree"] = store.conn.execute(
            'SELECT * FROM "rtree_assets_geom" ORDER BY id'
        ).fetchall()
        out["extent"] = store.conn.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'assets'"
        ).fetchall()
    return out


def test_one_asset_updates_write_what_the_store_calls_they_replace_write(new_store):
    fast, general = am.Inventory.demo(new_store()), am.Inventory.demo(new_store())
    try:
        for inv in (fast, general):  # a stored context: moved assets are marked for it
            inv.context()
            inv._live.clear()  # not kept in memory: the next context() computes their rows
        _old_store_calls(general._store)
        for e_fast, e_general in zip(_edits(fast), _edits(general), strict=True):
            fast.update(**e_fast)
            general.update(**e_general)
        a, b = _everything(fast), _everything(general)
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], pd.DataFrame):
                pd.testing.assert_frame_equal(a[key], b[key], obj=key)
            else:
                assert a[key] == b[key], key
        assert json.loads(a["metas"]["context_dirty_assets"]) == ["TS-0001", "TS-0002"]
        # an update refused is refused alike, and nothing is written
        for bad in (
            {"asset_id": "TS-0001", "rent_yuan_m2_month": -3.0},
            {"asset_id": "TS-0001", "at": "1999-01-01", "rent_yuan_m2_month": 3.0},
            {"asset_id": "NO-SUCH", "status": "idle"},
        ):
            errors = []
            for inv in (fast, general):
                with pytest.raises(am.AssetmatchError) as caught:
                    inv.update(**bad)
                errors.append((type(caught.value), str(caught.value)))
            assert errors[0] == errors[1]
        assert len(fast._store.read_events()) == len(general._store.read_events())
    finally:
        fast.close()
        general.close()


def test_read_for_update_reads_what_the_three_reads_read(new_store):
    inv = am.Inventory.demo(new_store())
    try:
        store = inv._store
        inv.update("TS-0001", rent_yuan_m2_month=12.0)
        ids = ["TS-0100", "TS-0001", "NO-SUCH"]
        keys = ["state_time", "context_params", "no_such_key"]
        with store.transaction():
            got = store.read_for_update(ids, keys)
        with store.transaction():
            want = (store.read_asset_columns(ids), store.created_at(ids), store.metas(keys))
        cols, created, metas = got
        assert created == {k: v for k, v in want[1].items() if k in ("TS-0100", "TS-0001")}
        assert metas == want[2]
        assert cols.keys() == want[0].keys()
        for c in cols:
            if c == "geometry":
                assert [g.wkb for g in cols[c]] == [g.wkb for g in want[0][c]]
            else:
                assert cols[c] == want[0][c], c
    finally:
        inv.close()


@pytest.mark.parametrize(
    "text",
    [
        "2024-07-01",
        "2024-07-01T00:00:00",
        "2024-07-01T13:45:59",
        "2024-02-29",
        "2023-02-29",
        "1900-01-01",
        "1899-12-31",
        "2200-12-31T23:59:59",
        "2201-01-01",
        "2024-07-01T10:00",
        "2024-07-01 10:00:00",
        "2024-07-01T10:00:00.5",
        "2024-07-01T24:00:00",
        "2024-13-01",
        "2024-07-01T10:00:00+08:00",
        "tomorrow",
    ],
)
def test_iso_times_read_a_valid_time_as_pandas_does(text):
    """``_rows_after`` reads plain ISO times with numpy: the same instant pandas reads, and
    None for what pandas refuses or the inventory does not keep."""
    low = pd.Timestamp(inventory_mod.history.DATE_MIN)
    high = pd.Timestamp(inventory_mod.history.DATE_MAX) + pd.Timedelta(1, "D")
    try:
        t = pd.Timestamp(text)
        want = t.as_unit("ns").to_datetime64() if t.tzinfo is None and low <= t < high else None
    except ValueError:
        want = None
    got = inventory_mod._iso_times([text])
    assert (got is None) == (want is None)
    if want is not None:
        assert got[0] == want


def test_gpkg_row_write_keeps_an_unchanged_geometry(tmp_path):
    """A field change rewrites the asset row without its geometry (no R-tree update: the
    same blob, box and extent); a boundary move writes the geometry and its box."""
    inv = am.Inventory.demo(tmp_path / "demo.gpkg")
    try:
        conn = inv._store.conn
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        inv.update("TS-0001", rent_yuan_m2_month=12.5)
        conn.set_trace_callback(None)
        writes = [s for s in statements if s.startswith('UPDATE "assets"')]
        assert writes and not any('"geom" =' in s for s in writes)
        box = conn.execute(
            'SELECT r.* FROM "rtree_assets_geom" r JOIN "assets" a ON a.fid = r.id '
            "WHERE a.asset_id = 'TS-0001'"
        ).fetchall()
        g = inv.assets().geometry.loc["TS-0001"]
        inv.update("TS-0001", geometry=shapely.affinity.translate(g, xoff=25.0))
        moved = conn.execute(
            'SELECT r.* FROM "rtree_assets_geom" r JOIN "assets" a ON a.fid = r.id '
            "WHERE a.asset_id = 'TS-0001'"
        ).fetchall()
        assert moved[0][1] == pytest.approx(box[0][1] + 25.0, abs=0.1)  # 32-bit boxes
        assert inv.assets().loc["TS-0001", "rent_yuan_m2_month"] == 12.5
    finally:
        inv.close()


def test_an_update_hands_over_the_rows_the_store_gives_back(new_store):
    """The rows an update keeps for the next feature patch are exactly what the store's
    read_asset_columns returns after it (geometry as WKB), edit after edit; a write of
    another kind forgets them."""
    inv = am.Inventory.demo(new_store())
    try:
        handed = 0
        for edit in _edits(inv):
            inv.update(**edit)
            state = inv._store.meta("state_time")
            ids = [edit["asset_id"]]
            got = inv._live.rows_at(state, ids)
            if edit.get("at") == "2022-07-01":  # back-dated: the replay wrote the row
                assert got is None and inv._live.rows is None
                continue
            handed += 1
            want = inv._store.read_asset_columns(ids)
            assert got.keys() == want.keys()
            for c in want:
                if c == "geometry":
                    assert [g.wkb for g in got[c]] == [g.wkb for g in want[c]]
                else:
                    assert got[c] == want[c], c
                    assert list(map(type, got[c])) == list(map(type, want[c])), c
            assert inv._live.rows_at("another time", ids) is None
            assert inv._live.rows_at(state, [*ids, "TS-0100"]) is None
        assert handed == len(_edits(inv)) - 1
        inv.remove("TS-0100")
        assert inv._live.rows is None
    finally:
        inv.close()
