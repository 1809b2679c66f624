"""Kill -9 a writer at random moments, many rounds, and check the GeoPackage after each.

Usage: ``.venv/bin/python benchmarks/crash_rounds.py [ROUNDS] [BIG_ROUNDS]``

Two kinds of rounds, both against the same store file:

* *batch* rounds: a writer loops over imports of 400 new assets and batched updates of 40 of
  them, and is killed after a random 1–6 s;
* *big* rounds: one import of 20,000 assets in a single transaction, killed at a random moment
  between its start and its expected end.

After every kill: ``PRAGMA integrity_check``, every import and update batch all-or-nothing, the
R-tree row count and GDAL's cached feature count (``gpkg_ogr_contents``) equal to the rows, and
the current table consistent with the history. At the end GDAL's ``validate_gpkg.py`` runs.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"
sys.path.insert(0, str(TESTS))

import assetmatch as am  # noqa: E402
from store_worker import grid, kill_after  # noqa: E402
from test_store_durability import _check_consistent, _env  # noqa: E402

WORKER = str(TESTS / "store_worker.py")
VALIDATOR = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"


def main(rounds: int = 50, big_rounds: int = 10) -> None:
    path = Path(tempfile.mkdtemp(prefix="crash-")) / "crash.gpkg"
    batch = 400
    inv = am.Inventory.open(path)
    inv.add(grid("base", batch))
    inv.close()
    rng = random.Random(20261128)
    before_after = {"before": 0, "after_some": 0}
    last = _check_consistent(path, batch)
    t0 = time.perf_counter()
    for r in range(rounds):
        kill_after(["crash", str(path), f"r{r}", str(batch)], rng.uniform(1.0, 6.0), _env())
        now = _check_consistent(path, batch)
        before_after["before" if now == last else "after_some"] += 1
        last = now
    big_outcomes = {"before": 0, "after": 0}
    for r in range(big_rounds):
        n_before = last[0]
        code = (
            f"import sys; sys.path.insert(0, {str(TESTS)!r}); from store_worker import grid; "
            f"import assetmatch as am; inv = am.Inventory.open({str(path)!r}); "
            f"g = grid('big{r}', 20000); inv.add(g)"
        )
        p = subprocess.Popen(
            [sys.executable, "-c", code], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(2.0, 9.0))
        p.send_signal(signal.SIGKILL)
        p.wait()
        con = sqlite3.connect(path)
        n = con.execute("SELECT count(*) FROM assets").fetchone()[0]
        big = con.execute(
            "SELECT count(*) FROM assets WHERE asset_id LIKE ?", (f"big{r}-%",)
        ).fetchone()[0]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM rtree_assets_geom").fetchone()[0] == n
        assert (
            con.execute(
                "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name='assets'"
            ).fetchone()[0]
            == n
        )
        con.close()
        assert big in (0, 20000), f"big import {r} half-written: {big}"
        assert n == n_before + big
        big_outcomes["after" if big else "before"] += 1
        last = (n, last[1])
    elapsed = time.perf_counter() - t0
    ok = subprocess.run(["/usr/bin/python3", VALIDATOR, str(path)], capture_output=True, text=True)
    print(f"batch rounds: {rounds} survived ({before_after})")
    print(f"big-import rounds: {big_rounds} survived ({big_outcomes})")
    print(f"final assets: {last[0]:,}, events: {last[1]:,}; {elapsed:.0f} s")
    print(f"validate_gpkg.py exit code {ok.returncode}; output: {ok.stdout.strip() or 'none'}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
