"""Only :class:`assetmatch.AssetmatchError` leaves a public call, even for wrong-typed arguments.

Each case is a public function or method with arguments that work (the call is made first, so a
case cannot pass by failing for another reason); then each argument in turn is replaced by a
value of the wrong type. The call may accept it or refuse it, but a refusal must be the
library's error (a :class:`assetmatch.ValidationError` names the parameter), never a raw
``TypeError``/``AttributeError`` from deep inside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import assetmatch as am

ROOT = Path(__file__).resolve().parents[1]
BRIEF = {"industry": "P83", "land_area_mu": [150, 200]}
WRONG = (object(), {1j})  # not a number, text, path or mapping; the second one iterable


@pytest.fixture(scope="module")
def inv(tmp_path_factory) -> am.Inventory:
    return am.Inventory.demo(tmp_path_factory.mktemp("public-errors") / "zone.gpkg")


@pytest.fixture(scope="module")
def res(inv) -> am.MatchResult:
    return am.match(BRIEF, inventory=inv, top=3)


def _firm(fid: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"firm_id": [fid], "industry": ["C39"]}, geometry=[Point(118.6, 24.75)], crs="EPSG:4490"
    )


Case = Callable[[am.Inventory, am.MatchResult, Any], tuple[Callable[..., Any], dict[str, Any]]]
CASES: dict[str, Case] = {
    "match": lambda inv, res, tmp: (
        am.match,
        dict(
            requirements=BRIEF,
            inventory=inv,
            top=3,
            as_of="2025-06-01",
            weights={"size": 1.0},
            near_misses=2,
            lang="en",
        ),
    ),
    "match_many": lambda inv, res, tmp: (
        am.match_many,
        dict(requirements=[BRIEF], inventory=inv, as_of="2025-06-01"),
    ),
    "parse_brief": lambda inv, res, tmp: (
        am.parse_brief,
        dict(text="教育项目，约170亩", as_of="2025-06-01"),
    ),
    "ahp_weights": lambda inv, res, tmp: (
        am.ahp_weights,
        dict(matrix=[[1, 3], [1 / 3, 1]], criteria=["size", "cost"]),
    ),
    "m2_to_mu": lambda inv, res, tmp: (am.m2_to_mu, dict(x=1000.0)),
    "mu_to_m2": lambda inv, res, tmp: (am.mu_to_m2, dict(x=1.5)),
    "Requirements": lambda inv, res, tmp: (
        am.Requirements,
        dict(investor="x", industry="P83", land_area_mu=(150, 200)),
    ),
    "Requirements.coerce": lambda inv, res, tmp: (am.Requirements.coerce, dict(obj=BRIEF)),
    "Requirements.from_json": lambda inv, res, tmp: (
        am.Requirements.from_json,
        dict(text='{"industry": "P83"}'),
    ),
    "Requirements.from_text": lambda inv, res, tmp: (
        am.Requirements.from_text,
        dict(text="教育项目，约170亩", as_of="2025-06-01"),
    ),
    "Weights.from_priorities": lambda inv, res, tmp: (
        am.Weights.from_priorities,
        dict(priorities={"size": 3}),
    ),
    "Weights.from_dict": lambda inv, res, tmp: (am.Weights.from_dict, dict(data={"size": 1.0})),
    "MatchModel.fit_deals": lambda inv, res, tmp: (am.MatchModel().fit_deals, dict(deals=inv)),
    "MatchModel.from_json": lambda inv, res, tmp: (
        am.MatchModel.from_json,
        dict(text=am.MatchModel().fit_deals(inv).to_json()),
    ),
    "Inventory.open": lambda inv, res, tmp: (
        am.Inventory.open,
        dict(path=tmp / "other.gpkg", crs=None, create=True, author="a", readonly=False),
    ),
    "assets": lambda inv, res, tmp: (inv.assets, dict(as_of="2025-06-01", derived=True)),
    "history": lambda inv, res, tmp: (inv.history, dict(asset_id="TS-0001")),
    "events": lambda inv, res, tmp: (
        inv.events,
        dict(since="2020-01-01", until="2026-01-01", asset_ids=["TS-0001"], fields=["status"]),
    ),
    "layer": lambda inv, res, tmp: (inv.layer, dict(name="port")),
    "offers": lambda inv, res, tmp: (inv.offers, dict(as_of="2025-06-01")),
    "within": lambda inv, res, tmp: (inv.within, dict(bounds=(118.5, 24.8, 118.9, 25.0))),
    "zone_policy": lambda inv, res, tmp: (inv.zone_policy, dict(as_of="2025-06-01")),
    "idle_clocks": lambda inv, res, tmp: (inv.idle_clocks, dict(as_of="2025-06-01", lang="en")),
    "features": lambda inv, res, tmp: (inv.features, dict(as_of="2025-06-01")),
    "update": lambda inv, res, tmp: (
        inv.update,
        dict(asset_id="TS-0002", at="2026-01-01", author="a", note="n", rent_yuan_m2_month=12.0),
    ),
    "offer": lambda inv, res, tmp: (
        inv.offer,
        dict(asset_id="TS-0003", investor="甲", at="2026-01-02", author="a", note="n"),
    ),
    "withdraw_offer": lambda inv, res, tmp: (
        inv.withdraw_offer,
        dict(asset_id="TS-0003", at="2026-01-03", author="a", note="n"),
    ),
    "remove": lambda inv, res, tmp: (
        inv.remove,
        dict(asset_id="TS-0099", at="2026-01-04", author="a", note="n"),
    ),
    "add_firms": lambda inv, res, tmp: (inv.add_firms, dict(firms=_firm("F-PUB"))),
    "remove_firms": lambda inv, res, tmp: (inv.remove_firms, dict(firm_ids=["F-PUB"])),
    "export": lambda inv, res, tmp: (inv.export, dict(path=tmp / "exported.gpkg")),
    "add_layer": lambda inv, res, tmp: (inv.add_layer, dict(name="port", layer=inv.layer("port"))),
    "Inventory.demo": lambda inv, res, tmp: (am.Inventory.demo, dict(path=tmp / "d.gpkg", seed=1)),
    "context_features": lambda inv, res, tmp: (
        am.context_features,
        dict(
            assets=inv.assets().head(20),
            firms=inv.firms(),
            radii_m=(1000, 3000),
            layers={"port": inv.layer("port")},
            industries=["C22", "C34"],
            level="division",
            kernel_bandwidth_m=2000.0,
            firms_coords="wgs84",
            chunk_size=100,
            progress=None,
            n_jobs=1,
        ),
    ),
    "SiteScorer": lambda inv, res, tmp: (
        lambda **kw: am.SiteScorer(**kw).fit(inv.features()).rank_scores(inv.features()),
        dict(requirements=BRIEF, weights={"size": 1.0}, as_of="2025-06-01"),
    ),
    "rank_many": lambda inv, res, tmp: (
        am.rank_many,
        dict(requirements=[BRIEF], inventory=inv, top=3, as_of="2025-06-01"),
    ),
    "add": lambda inv, res, tmp: (
        inv.add,
        dict(
            data=_site("PUB-1"),
            at="2026-01-05",
            author="a",
            note="n",
            on_error="raise",
            coords="wgs84",
            swap_xy=False,
            dayfirst=None,
        ),
    ),
    "import_file": lambda inv, res, tmp: (
        inv.import_file,
        dict(path=ROOT / "data" / "plants.xlsx", at="2026-01-06", on_error="skip", sheet=0),
    ),
    "update_many": lambda inv, res, tmp: (
        inv.update_many,
        dict(changes=pd.DataFrame({"asset_id": ["TS-0002"], "at": ["2026-01-07"], "floors": [3]})),
    ),
    "offer_many": lambda inv, res, tmp: (
        inv.offer_many,
        dict(
            offers_=pd.DataFrame({"asset_id": ["TS-0004"], "investor": ["乙"]}),
            at="2026-01-08",
            author="a",
            note="n",
        ),
    ),
    "context": lambda inv, res, tmp: (inv.context, dict(refresh=True, radii_m=(1000, 3000))),
    "res.headers": lambda inv, res, tmp: (res.headers, dict(lang="en")),
    "res.readable": lambda inv, res, tmp: (res.readable, dict(lang="en", headers=True)),
    "res.display": lambda inv, res, tmp: (res.display, dict(lang="en")),
    "res.explain": lambda inv, res, tmp: (res.explain, dict(asset_id="TS-0001", lang="en")),
    "res.what_if": lambda inv, res, tmp: (res.what_if, dict(lang="en")),
    "res.robustness": lambda inv, res, tmp: (res.robustness, dict(n=20, spread=0.2, seed=0, k=3)),
    "res.to_json": lambda inv, res, tmp: (res.to_json, dict(indent=2)),
}


def _site(aid: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"asset_id": [aid], "kind": ["land"], "status": ["idle"]},
        geometry=[Point(118.6, 24.75).buffer(0.001)],
        crs="EPSG:4490",
    )


# calls that change the store undo themselves: re-adding a firm, re-offering, ...
SETUP: dict[str, Callable[[am.Inventory], Any]] = {
    "withdraw_offer": lambda inv: inv.offer("TS-0003", "甲", at="2026-01-02"),
    "remove_firms": lambda inv: inv.add_firms(_firm("F-PUB")),
    "offer_many": lambda inv: inv.withdraw_offer("TS-0004", at="2026-01-08"),
}


SLOW = {"MatchModel.fit_deals", "MatchModel.from_json"}  # a fit on the demo's deals: ~10 s


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in CASES]
)
def test_wrong_types_raise_only_the_librarys_errors(name, inv, res, tmp_path):
    fn, args = CASES[name](inv, res, tmp_path)
    if name in SETUP:
        SETUP[name](inv)
    fn(**args)  # the arguments work as given
    leaks = []
    for param in args:
        for wrong in WRONG:
            if name in SETUP:
                SETUP[name](inv)
            if "path" in args:
                args["path"] = tmp_path / f"{param}-{type(wrong).__name__}.gpkg"
            try:
                fn(**{**args, param: wrong})
            except am.AssetmatchError:
                pass
            except Exception as exc:
                leaks.append(f"{param}={type(wrong).__name__}: {type(exc).__name__}: {exc}")
    assert not leaks, "\n".join(leaks)


def test_a_wrong_type_names_the_parameter_and_what_was_expected(inv):
    with pytest.raises(am.ValidationError) as e:
        am.match(BRIEF, inventory=object())
    assert str(e.value).splitlines()[0] == (
        "The 'inventory' parameter must be an Inventory. Got object instead."
    )
    assert [(p.field, p.reason) for p in e.value.problems] == [
        ("inventory", "expected an Inventory, got object")
    ]
    with pytest.raises(am.ValidationError, match="'lang' parameter must be 'zh' or 'en'"):
        am.match(BRIEF, inventory=inv).what_if(lang="fr")
    with pytest.raises(am.ValidationError, match="'x' parameter of mu_to_m2 must be a number"):
        am.mu_to_m2("15")


def test_events_and_remove_still_work_after_the_checks(inv):
    """The new argument checks refuse nothing that worked: ids as any iterable, text metadata."""
    ev = inv.events(asset_ids=("TS-0001",), fields={"status"})
    assert set(ev["asset_id"]) == {"TS-0001"}
    assert set(ev.loc[ev["kind"] == "update", "field"]) <= {"status"}
    frame = pd.DataFrame({"asset_id": ["TS-0001"]})
    assert len(inv.events(asset_ids=frame["asset_id"])) == len(inv.history("TS-0001"))
