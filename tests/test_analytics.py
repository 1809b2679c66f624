"""Monitoring functions on a hand-built zone whose answers are worked out by hand.

Three factories (synthetic), entered on 2024-01-01:

* A-1 张坂, idle, rent 10 → 11 (2024-02-15); negotiating 2024-02-01, leased 2024-04-10;
* A-2 张坂, available, rent 12 → 9 (2024-05-01); withdrawn 2024-03-01, available again
  2024-05-20; its planning-adjustment obstacle solved 2024-06-10;
* A-3 杏东, in use, rent 14, tax 10,000 yuan/mu: below the per-mu standard.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import assetmatch as am
from assetmatch import analytics as an
from conftest import LAT0, LON0, square_lonlat


def _build(path: Path) -> am.Inventory:
    gdf = gpd.GeoDataFrame(
        {
            "asset_id": ["A-1", "A-2", "A-3"],
            "name": ["甲厂房", "乙厂房", "丙厂房"],
            "kind": ["factory"] * 3,
            "district": ["张坂", "张坂", "杏东"],
            "status": ["idle", "available", "in_use"],
            "building_area_m2": [60_000.0, 30_000.0, 20_000.0],
            "floors": [3, 1, 2],
            "rent_yuan_m2_month": [10.0, 12.0, 14.0],
            "tax_yuan_per_mu": [600_000.0, 100_000.0, 10_000.0],
            "output_yuan_per_mu": [1_000_000.0, 2_000_000.0, 500_000.0],
            "obstacles": [
                [],
                [{"kind": "planning_adjustment", "description": "调规", "delay_days": 90}],
                [],
            ],
        },
        geometry=[
            square_lonlat(LON0, LAT0, 250),
            square_lonlat(LON0 + 0.01, LAT0, 300),
            square_lonlat(LON0 + 0.02, LAT0 + 0.01, 400),
        ],
        crs="EPSG:4490",
    )
    inv = am.Inventory.open(path)
    inv.add(gdf, at="2024-01-01", on_error="raise")
    inv.update("A-1", status="negotiating", at="2024-02-01")
    inv.update("A-1", rent_yuan_m2_month=11.0, at="2024-02-15")
    inv.update("A-2", status="withdrawn", at="2024-03-01")
    inv.update("A-1", status="leased", at="2024-04-10")
    inv.update("A-2", rent_yuan_m2_month=9.0, at="2024-05-01")
    inv.update("A-2", status="available", at="2024-05-20")
    inv.update("A-2", obstacles=[], at="2024-06-10")
    return inv


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> am.Inventory:
    """The zone, shared by the tests that only read it."""
    inv = _build(tmp_path_factory.mktemp("zone") / "zone.gpkg")
    yield inv
    inv.close()


@pytest.fixture
def fresh(zone: am.Inventory, tmp_path: Path) -> am.Inventory:
    """A zone of its own, for a test that writes: a copy of the shared one (built once)."""
    inv = am.Inventory.open(zone.export(tmp_path / "zone.gpkg"), create=False)
    yield inv
    inv.close()


def test_events_is_tidy_and_filtered(zone: am.Inventory) -> None:
    ev = zone.events()
    assert list(ev["kind"].value_counts().sort_index()) == [3, 7]  # 3 creates, 7 updates
    assert ev["valid_at"].is_monotonic_increasing
    rents = zone.events(since="2024-02-01", until="2024-05-01", fields=["rent_yuan_m2_month"])
    assert rents["value"].tolist() == [11.0, 9.0]
    assert rents["asset_id"].tolist() == ["A-1", "A-2"]
    created = zone.events(until="2024-01-01")
    assert created["value"].map(lambda v: v["district"]).tolist() == ["张坂", "张坂", "杏东"]
    assert zone.events(asset_ids=["A-3"])["asset_id"].unique().tolist() == ["A-3"]
    with pytest.raises(am.ValidationError, match="since"):
        zone.events(since="not a date")


def test_rent_trends_known_medians_and_spread(zone: am.Inventory) -> None:
    t = an.rent_trends(zone, start="2024-01-01", end="2024-06-30").set_index(["period", "district"])
    # Q1 end: 张坂 has A-1 at 11 and A-2 at 12; 杏东 A-3 at 14
    q1 = t.loc[("2024Q1", "张坂")]
    assert (q1["n"], q1["median"], q1["q25"], q1["q75"]) == (2, 11.5, 11.25, 11.75)
    assert q1["iqr"] == pytest.approx(0.5)
    assert q1["surroundings_median"] == 14.0
    assert q1["vs_surroundings"] == pytest.approx(11.5 / 14 - 1)
    # Q2 end: A-2 dropped to 9
    q2 = t.loc[("2024Q2", "张坂")]
    assert (q2["median"], q2["iqr"]) == (10.0, 1.0)
    assert t.loc[("2024Q2", "杏东"), "surroundings_median"] == 10.0
    assert t.loc[("2024Q2", "杏东"), "n"] == 1


def test_rent_vs_surroundings(zone: am.Inventory) -> None:
    r = an.rent_vs_surroundings(zone, radius_m=5_000)
    assert r.loc["A-1", "surroundings_median"] == pytest.approx(11.5)  # median(9, 14)
    assert r.loc["A-2", "vs_surroundings"] == pytest.approx(9 / 12.5 - 1)  # vs median(11, 14)
    assert r.index[0] == "A-2"  # cheapest against its surroundings first
    near = an.rent_vs_surroundings(zone, radius_m=1)
    assert near["n_surroundings"].tolist() == [0, 0, 0]
    with pytest.raises(am.ValidationError, match="radius_m"):
        an.rent_vs_surroundings(zone, radius_m=-5)


def test_pipeline_counts_and_time_to_take(zone: am.Inventory) -> None:
    p = an.pipeline(zone)
    assert p.index.tolist() == ["2024Q1", "2024Q2"]
    assert p.loc["2024Q1"].tolist() == [0, 1, 0]  # A-1 negotiates; A-2 withdrawn is no offer
    assert p.loc["2024Q2"].tolist() == [1, 0, 1]  # A-2 back on offer; A-1 leased
    t = an.time_to_take(zone)
    assert len(t) == 1
    row = t.iloc[0]
    assert row["asset_id"] == "A-1"
    assert row["days_to_take"] == 100  # 2024-01-01 → 2024-04-10 (leap year)
    assert row["negotiation_at"] == pd.Timestamp("2024-02-01")


def test_stock_at_any_date(zone: am.Inventory) -> None:
    jan = an.stock(zone, as_of="2024-01-15", by=["district", "status"])
    assert jan[["district", "status", "n_assets"]].values.tolist() == [["张坂", "idle", 1]]
    area = zone.assets(as_of="2024-01-15").loc["A-1", "land_area_m2"]
    assert jan["land_area_mu"].iloc[0] == pytest.approx(area * 3 / 2000)
    assert jan["building_area_m2"].iloc[0] == 60_000
    assert an.stock(zone, as_of="2024-03-31").empty  # nothing idle then
    every = an.stock(zone, by=["kind"], statuses=None)
    assert every["n_assets"].tolist() == [3]
    over = an.stock_over_time(zone, ["2024-01-15", "2024-03-31"], by=["district"])
    assert over["date"].tolist() == [pd.Timestamp("2024-01-15")]
    with pytest.raises(am.ValidationError, match="by"):
        an.stock(zone, by=["colour"])


def test_efficiency_thresholds_and_grades(zone: am.Inventory) -> None:
    e = an.efficiency(zone)
    land = zone.assets()["land_area_m2"]
    assert e.loc["A-3", "plot_ratio"] == pytest.approx(20_000 / land["A-3"])
    assert e.loc["A-3", "building_coverage"] == pytest.approx(10_000 / land["A-3"])
    assert e["low_efficiency"].tolist() == [False, True, True]  # plot ratio ~0.33 < 0.5
    assert "tax per mu 10,000 < 50,000 yuan" in e.loc["A-3", "reasons"]
    # composite (45 tax : 20 output), each 20 + 80 (x - min) / (max - min)
    tax2 = 20 + 80 * 90_000 / 590_000
    out1 = 20 + 80 * 500_000 / 1_500_000
    assert e.loc["A-1", "score"] == pytest.approx((45 * 100 + 20 * out1) / 65)
    assert e.loc["A-2", "score"] == pytest.approx((45 * tax2 + 20 * 100) / 65)
    assert e.loc["A-3", "score"] == pytest.approx(20)
    assert e["grade"].tolist() == ["B", "B", "D"]  # ranks 1/3, 2/3, 3/3 of the sites
    # an industry's own row: C39 needs plot ratio 1.0, so A-1 (0.96) falls below
    e39 = an.efficiency(zone, industry="C3911")
    assert e39.loc["A-1", "standard"] == "C39" and bool(e39.loc["A-1", "below_plot_ratio"])


def test_candidates_become_supply_only_by_an_event(fresh: am.Inventory) -> None:
    zone = fresh
    cand = an.low_efficiency_candidates(zone)
    assert cand.index.tolist() == ["A-3"]  # A-2 is below too, but already on offer
    assert zone.assets().loc["A-3", "status"] == "in_use"  # listing changed nothing
    n = an.mark_low_efficiency(zone, cand.index, at="2024-06-15", note="2024 亩均评价")
    assert n == 1
    h = zone.history("A-3")
    last = h.iloc[-1]
    assert (last["field"], last["value"], last["note"]) == (
        "status",
        "low_efficiency",
        "2024 亩均评价",
    )
    assert an.low_efficiency_candidates(zone).empty
    assert an.stock(zone, by=["status"])["status"].tolist() == ["low_efficiency"]


def test_user_thresholds(tmp_path: Path, zone: am.Inventory) -> None:
    f = tmp_path / "std.csv"
    f.write_text("industry,min_tax_yuan_per_mu\n*,700000\n", encoding="utf-8")
    t = an.load_thresholds(f)
    assert np.isnan(t.loc["*", "min_plot_ratio"])
    e = an.efficiency(zone, thresholds=t)
    assert e["low_efficiency"].all()
    assert not e["below_plot_ratio"].any()  # empty cell: not judged
    bad = tmp_path / "bad.csv"
    bad.write_text("industry,min_plot_ratio,min_building_coverage\nC39,x,1.5\nC39,1,0.3\n")
    with pytest.raises(am.ValidationError) as err:
        an.load_thresholds(bad)
    fields = sorted(p.field for p in err.value.problems)
    assert fields == ["industry", "min_building_coverage", "min_plot_ratio"]
    with pytest.raises(am.SourceError):
        an.load_thresholds(tmp_path / "missing.csv")


def test_default_thresholds_table() -> None:
    t = an.load_thresholds()
    assert t.loc["C22", "min_plot_ratio"] == 0.8  # 造纸: national 2008 table
    assert t.loc["C39", "min_plot_ratio"] == 1.0
    assert (t["min_building_coverage"] == 0.30).all()
    assert t.loc["*", "min_tax_yuan_per_mu"] == 50_000  # Quanzhou 5 万元/亩


def test_alerts_since(fresh: am.Inventory) -> None:
    zone = fresh
    an.mark_low_efficiency(zone, ["A-3"], at="2024-06-15")
    al = an.alerts(zone, since="2024-04-30")
    assert al["alert"].tolist() == ["new_idle", "price_drop", "obstacle_solved"]
    assert al["asset_id"].tolist() == ["A-3", "A-2", "A-2"]
    assert al.loc[1, "detail"] == "rent 12 → 9 (-25%)"
    assert al.loc[2, "detail"] == "solved: planning_adjustment"
    assert al.loc[0, "name"] == "丙厂房"
    assert an.alerts(zone, since="2024-06-15").empty  # strictly after
    assert an.alerts(zone, since="2024-04-30", until="2024-05-31")["alert"].tolist() == [
        "price_drop"
    ]


def test_idle_clocks_days(zone: am.Inventory) -> None:
    c = an.idle_clocks(zone, as_of="2024-01-31")
    assert c.index.tolist() == ["A-1"]
    assert c.loc["A-1", "idle_days"] == 30
    assert c.loc["A-1", "idle_since"] == pd.Timestamp("2024-01-01")
    assert an.idle_clocks(zone, as_of="2024-03-31").empty


@pytest.mark.slow  # ~3 s importing matplotlib and drawing, ~6 s on a loaded machine
def test_plots_are_figures(zone: am.Inventory) -> None:
    from matplotlib.figure import Figure

    fig = an.plot_rent_trends(an.rent_trends(zone))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert sorted(line.get_label() for line in ax.get_lines()) == ["张坂", "杏东"]
    fig = an.plot_pipeline(an.pipeline(zone), an.time_to_take(zone))
    assert len(fig.axes) == 2
    assert sum(p.get_height() for p in fig.axes[0].patches) == 3  # 1 + 1 + 1 stage moves
    fig = an.plot_efficiency(an.efficiency(zone))
    assert len(fig.axes[0].collections) >= 2
    fig = an.plot_stock(an.stock(zone, as_of="2024-01-15", by=["district", "kind"]))
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx(
        [an.stock(zone, as_of="2024-01-15")["land_area_mu"].sum()]
    )
    fig = an.plot_idle_days(an.idle_clocks(zone, as_of="2024-01-31"))
    assert isinstance(fig, Figure)


def test_plot_dependency_error_is_a_library_error() -> None:
    from assetmatch.analytics import _plot

    assert issubclass(am.PlotDependencyError, am.AssetmatchError)
    assert issubclass(am.PlotDependencyError, ImportError)
    with pytest.raises(am.PlotDependencyError, match=r"assetmatch\[plot\]"):
        _plot.require("assetmatch_no_such_plot_package")


def test_statutory_points_within_days(tmp_path: Path) -> None:
    """A parcel supplied with an agreed start of 2023-03-01 and nothing built: it is idle land
    from 2024-03-01 (one full year) and reclaiming may be proposed from 2025-03-01."""
    gdf = gpd.GeoDataFrame(
        {
            "asset_id": ["L-1"],
            "kind": ["land"],
            "status": ["transferred"],
            "building_area_m2": [0.0],
            "agreed_start_date": ["2023-03-01"],
            "developed_share": [0.0],
            "invested_share": [0.0],
        },
        geometry=[square_lonlat(LON0, LAT0, 200)],
        crs="EPSG:4490",
    )
    with am.Inventory.open(tmp_path / "land.gpkg") as inv:
        inv.add(gdf, at="2023-01-01", on_error="raise")
        c = an.idle_clocks(inv, as_of="2024-01-31")
        row = c.loc["L-1"]
        assert (row["next_point"], row["next_date"]) == ("idle_land", pd.Timestamp("2024-03-01"))
        assert row["days_to_next"] == 30
        assert an.idle_clocks(inv, as_of="2024-01-31", within_days=29).empty
        assert an.idle_clocks(inv, as_of="2024-01-31", within_days=30).index.tolist() == ["L-1"]
        later = an.idle_clocks(inv, as_of="2024-06-30").loc["L-1"]
        assert later["idle_land_state"] == "may_investigate"
        assert later["next_point"] == "reclaim_proposal"
        assert later["next_date"] == pd.Timestamp("2025-03-01")
        with pytest.raises(am.ValidationError, match="within_days"):
            an.idle_clocks(inv, within_days=-1)


def test_alerts_fits_brief(zone: am.Inventory) -> None:
    """On 2024-04-30 A-2 was withdrawn; it is on offer again from 2024-05-20 and fits."""
    brief = am.Requirements(investor="甲公司", land_area_mu=(50, 200))
    then = am.match(brief, inventory=zone, as_of="2024-04-30").table["asset_id"].tolist()
    assert "A-2" not in then
    al = an.alerts(zone, since="2024-04-30", briefs={"甲公司": brief})
    fits = al[al["alert"] == "fits_brief"]
    assert fits["asset_id"].tolist() == ["A-2"]
    assert fits["detail"].iloc[0].startswith("甲公司: rank ")
