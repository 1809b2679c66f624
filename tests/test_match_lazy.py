"""A match's result tables are built when first read, and equal tables built at once (issue 12).

``match`` defers the facts, reasons and frames of its shortlist (most of a warm match's fixed
cost) to the first read of ``table`` or ``near_misses``. These tests read the frames at
different moments — at once, after other matches, after the inventory was edited — and
expect the same frames every time.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import assetmatch as am
from assetmatch.demo import PUBLIC_BRIEFS


@pytest.fixture
def inv(tmp_path):
    inventory = am.Inventory.demo(tmp_path / "demo.gpkg")
    yield inventory
    inventory.close()


def read_now(brief, inventory, **kw) -> am.MatchResult:
    res = am.match(brief, inventory=inventory, **kw)
    res.table, res.near_misses  # noqa: B018 (read while the inventory is as it was)
    return res


def assert_same(got: am.MatchResult, want: am.MatchResult) -> None:
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True)
    pd.testing.assert_frame_equal(got.near_misses, want.near_misses, check_exact=True)
    assert type(got.table) is type(want.table)
    assert got.to_json() == want.to_json()
    assert got.display("en") == want.display("en")
    for aid in [*want.table["asset_id"], *want.near_misses["asset_id"]]:
        assert got.explain(aid).reasons == want.explain(aid).reasons


def test_the_frames_are_built_on_first_read_and_kept(inv):
    res = am.match(PUBLIC_BRIEFS["hengzhong"], inventory=inv)
    assert not isinstance(res.__dict__["_table"], pd.DataFrame)
    assert not isinstance(res.__dict__["_near_misses"], pd.DataFrame)
    table = res.table
    assert isinstance(res.__dict__["_table"], pd.DataFrame)
    assert not isinstance(res.__dict__["_near_misses"], pd.DataFrame)  # each on its own read
    assert res.table is table  # built once
    assert table.loc[0, "asset_id"] == "TS-0001"
    assert res.near_misses is res.near_misses


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_frames_read_later_equal_frames_read_at_once(inv, lang):
    for name, brief in PUBLIC_BRIEFS.items():
        for kw in ({}, {"top": 2, "near_misses": 3}, {"top": 4, "near_misses": 0}):
            want = read_now(brief, inv, lang=lang, **kw)
            got = am.match(brief, inventory=inv, lang=lang, **kw)
            read_now(PUBLIC_BRIEFS["xingxun"], inv, lang="en", top=1)  # another match between
            assert_same(got, want)
            if kw.get("near_misses") == 0:
                assert got.near_misses.empty, name


def test_frames_read_after_an_edit_describe_the_inventory_as_it_was_matched(inv):
    brief = PUBLIC_BRIEFS["hengzhong"]
    want = read_now(brief, inv)
    got = am.match(brief, inventory=inv)  # not read yet
    top, second = want.table["asset_id"].iloc[0], want.table["asset_id"].iloc[1]
    inv.update(top, status="leased", at="2024-06-03")
    inv.update(second, name="新名字（测试）", rent_yuan_m2_month=99.0, at="2024-06-03")
    after = read_now(brief, inv)
    assert top not in set(after.table["asset_id"])  # the edit reached the next match …
    assert_same(got, want)  # … and not the result matched before it
    assert got.table["name"].iloc[1] == want.table["name"].iloc[1] != "新名字（测试）"


def test_frames_given_to_a_result_are_kept_as_they_are(inv):
    res = read_now(PUBLIC_BRIEFS["hengzhong"], inv)
    one = res.table.head(1)
    other = dataclasses.replace(res, table=one, near_misses=res.near_misses.iloc[:0])
    assert other.table is one
    assert other.near_misses.empty
    assert repr(other).startswith("MatchResult(1 ranked of 3 eligible, 0 near misses")
    assert [f.name for f in dataclasses.fields(am.MatchResult)][:2] == ["table", "near_misses"]
    with pytest.raises(TypeError):
        am.MatchResult(near_misses=one)  # type: ignore[call-arg]  # the table stays required


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_record_made_before_the_frames_equals_one_made_from_them(inv, lang):
    briefs = [*PUBLIC_BRIEFS.values(), {**PUBLIC_BRIEFS["hengzhong"], "land_area_mu": [5000, 6000]}]
    for brief in briefs:
        for kw in ({}, {"top": 25, "near_misses": 15}, {"top": 3, "near_misses": 0}):
            res = am.match(brief, inventory=inv, lang=lang, **kw)
            early = res.to_json()
            # the record is read from the shortlist's columns: no frame is built for it
            assert not isinstance(res.__dict__["_table"], pd.DataFrame)
            assert not isinstance(res.__dict__["_near_misses"], pd.DataFrame)
            res.table, res.near_misses  # noqa: B018
            assert res.to_json() == early
            given = dataclasses.replace(res, table=res.table.copy(), near_misses=res.near_misses)
            assert given.to_json() == early


@pytest.mark.parametrize("read_first", [False, True])
def test_a_result_pickles_without_its_inventory(inv, read_first, tmp_path):
    """A result travels (a process pool, a cache) with its frames, scorer and features; the
    open inventory stays behind, and the report then takes it as an argument."""
    import pickle

    want = read_now(PUBLIC_BRIEFS["hengzhong"], inv)
    res = am.match(PUBLIC_BRIEFS["hengzhong"], inventory=inv)
    if read_first:
        res.table  # noqa: B018
    got = pickle.loads(pickle.dumps(res))
    assert got.inventory is None and res.inventory is inv  # the original keeps its inventory
    assert_same(got, want)
    again = am.match(PUBLIC_BRIEFS["hengzhong"], features=got.features)  # its table still scores
    pd.testing.assert_frame_equal(again.table, want.table, check_exact=True)
