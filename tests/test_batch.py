"""Many briefs at once: rank_many ranks as match does, and on dask both batch calls equal the
one-machine path exactly (a LocalCluster of threads and one of two worker processes).

The inventory is the synthetic demo zone (320 assets, its zone policy and firms); the briefs are
its three public ones (one ``near`` a firm, whose place is found in the inventory's firms) and
synthetic variations of them, one that no site fits.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import assetmatch as am
from assetmatch import ClusterError, ValidationError
from assetmatch.batch import RANKING_COLUMNS, rank_many
from assetmatch.demo.zone import PUBLIC_BRIEFS

distributed = pytest.importorskip("distributed")


def _briefs() -> list[dict]:
    out = [dict(b) for b in PUBLIC_BRIEFS.values()]
    rng = np.random.default_rng(12)
    for i in range(9):
        lo = float(rng.uniform(10, 150))
        out.append(
            {
                "investor": f"Investor {i}",
                "industry": str(rng.choice(["C39", "C28", "C22", "P83"])),
                "land_use": str(rng.choice(["1001", "1001", "0804"])),
                "land_area_mu": [round(lo, 1), round(lo * 1.8, 1)],
                "tenure": ["lease", "transfer"],
                "priorities": {"size": int(rng.integers(1, 6)), "cost": int(rng.integers(1, 6))},
            }
        )
    out.append({"land_area_mu": [90_000, 100_000]})  # no site is that large: no investor name
    return out


@pytest.fixture(scope="module")
def demo():
    return am.Inventory.demo()


@pytest.fixture(scope="module")
def expected(demo):
    briefs = _briefs()
    return briefs, am.match_many(briefs, inventory=demo), rank_many(briefs, inventory=demo, top=4)


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 workers of 1 thread inside this process, reachable over TCP."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as local:
        yield local


def test_batch_work_scores_each_brief_as_match_does(demo, expected) -> None:
    briefs, allocation, ranked = expected
    assert list(ranked.columns) == list(RANKING_COLUMNS)
    assert ranked["request"].is_monotonic_increasing
    for i, brief in enumerate(briefs):
        res = am.match(brief, inventory=demo, top=4)
        one = res.table
        assert allocation.loc[i, "n_eligible"] == res.counts["n_eligible"], i
        if len(one):
            assert allocation.loc[i, "first_choice"] == one["asset_id"].iloc[0], i
            assert allocation.loc[i, "first_choice_score"] == one["score"].iloc[0], i
        mine = ranked[ranked["request"] == i]
        assert mine["asset_id"].tolist() == one["asset_id"].tolist(), i
        assert mine["score"].tolist() == one["score"].tolist(), i
        assert mine["rank"].tolist() == one["rank"].tolist(), i
    # the brief no site fits has no row; a brief without investor is called by its position
    assert len(briefs) - 1 not in set(ranked["request"])
    assert ranked.loc[ranked["request"] == 0, "investor"].iloc[0] == briefs[0]["investor"]


def test_rank_many_without_top_rescores_every_usable_site(demo) -> None:
    briefs = _briefs()[:4]
    ranked = rank_many(briefs, inventory=demo, top=None)
    for i, brief in enumerate(briefs):
        res = am.match(brief, inventory=demo, top=1)
        assert (ranked["request"] == i).sum() == res.counts["n_eligible"]
    scores = ranked.groupby("request")["score"]
    assert scores.apply(lambda s: bool((np.diff(s.to_numpy()) <= 0).all())).all()


def test_batch_work_on_a_cluster_of_threads_equals_one_machine(demo, expected, cluster) -> None:
    briefs, allocation, ranked = expected
    seen: list[tuple[int, int]] = []
    with distributed.Client(cluster) as client, distributed.get_task_stream(client) as stream:
        got = am.match_many(
            briefs, inventory=demo, client=client, progress=lambda d, t: seen.append((d, t))
        )
    pd.testing.assert_frame_equal(got, allocation, check_exact=True)
    assert got.attrs["total_score"] == allocation.attrs["total_score"]
    assert seen[-1] == (len(briefs), len(briefs))
    # the briefs went in chunks, one task each, run by the workers
    assert 2 <= len(stream.data) <= len(briefs)
    assert {t["worker"] for t in stream.data} <= set(cluster.scheduler_info["workers"])
    got = rank_many(briefs, inventory=demo, top=4, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(got, ranked, check_exact=True)


def _tables_on(cluster) -> set[str]:
    """Keys of the feature tables the cluster's scheduler holds (scattered, not computed)."""
    return {str(k) for k in cluster.scheduler.tasks if str(k).startswith("FeatureTable-")}


def _settled(cluster, expected: set[str]) -> set[str]:
    """The tables held once releases reach the scheduler (they travel asynchronously)."""
    deadline = time.monotonic() + 10
    while (held := _tables_on(cluster)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


def test_the_table_stays_on_the_cluster_until_the_inventory_changes(
    demo, expected, cluster, tmp_path
) -> None:
    """The first call sends the table, a second call on the same client (same inventory)
    reuses it and sends nothing, a changed inventory replaces it; every result equals the
    one-machine path's. The table never travels inside the graph: dask's large-graph warning,
    lowered below the table's size, is an error here."""
    dask = pytest.importorskip("dask")
    briefs, allocation, ranked = expected
    inv = am.Inventory.demo(tmp_path / "zone.gpkg")
    table_bytes = inv.features().nbytes
    assert table_bytes > 60_000  # the threshold below sits well under it
    with (
        warnings.catch_warnings(),
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "40kB"}),
        distributed.Client(cluster) as client,
    ):
        warnings.simplefilter("error")
        got = am.match_many(briefs, inventory=inv, client=client)
        pd.testing.assert_frame_equal(got, allocation, check_exact=True)
        first = _tables_on(cluster)
        assert len(first) == 1
        got = rank_many(briefs, inventory=inv, top=4, client=client)
        pd.testing.assert_frame_equal(got, ranked, check_exact=True)
        assert _tables_on(cluster) == first  # reused: a new scatter would have a new key
        # the first choice of the first brief is leased meanwhile: not offerable any more
        taken = allocation.loc[0, "first_choice"]
        inv.update(taken, status="leased", at=inv.as_of)
        here = am.match_many(briefs, inventory=inv)
        assert here.loc[0, "first_choice"] != taken
        got = am.match_many(briefs, inventory=inv, client=client)
        pd.testing.assert_frame_equal(got, here, check_exact=True)
        second = _settled(cluster, set(_tables_on(cluster) - first))
        assert len(second) == 1 and not second & first  # replaced, the old copy released
        got = rank_many(briefs, inventory=inv, top=4, client=client)
        pd.testing.assert_frame_equal(
            got, rank_many(briefs, inventory=inv, top=4), check_exact=True
        )
        assert _tables_on(cluster) == second
    assert _settled(cluster, set()) == set()  # closing the client frees the kept table


@pytest.mark.slow
def test_batch_work_on_two_worker_processes_equals_one_machine(demo, expected) -> None:
    """The table, the scorer and the zone policy pickled to two processes and back."""
    briefs, allocation, ranked = expected
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        got = am.match_many(briefs, inventory=demo, client=client)
        got_ranked = rank_many(briefs, inventory=demo, top=4, client=client)
    pd.testing.assert_frame_equal(got, allocation, check_exact=True)
    pd.testing.assert_frame_equal(got_ranked, ranked, check_exact=True)


def test_batch_errors(demo, cluster) -> None:
    dask = pytest.importorskip("dask")
    briefs = _briefs()[:2]
    with distributed.Client(cluster) as client, pytest.raises(ClusterError, match="not both"):
        am.match_many(briefs, inventory=demo, client=client, scheduler=cluster.scheduler_address)
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(ClusterError, match=r"cannot reach the dask scheduler at 'tcp://127"),
    ):
        rank_many(briefs, inventory=demo, scheduler="tcp://127.0.0.1:9")
    with pytest.raises(ValidationError, match="top"):
        rank_many(briefs, inventory=demo, top=0)
    # a must this table cannot check (no context) fails on a worker and is raised as it was
    X = am.scoring.prepare(demo.assets(), None)
    bad = [*briefs, {"industry": "C22", "avoid_industries": {"C26": 2000}, "must": ["conflicts"]}]
    with pytest.raises(ValidationError) as here:
        rank_many(bad, features=X)
    with distributed.Client(cluster) as client, pytest.raises(ValidationError) as there:
        rank_many(bad, features=X, client=client)
    assert "no data for it" in str(there.value)
    assert str(there.value) == str(here.value)
