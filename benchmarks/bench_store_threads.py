"""One Inventory shared by a thread pool (issue 8): reads and writes, against the serial way.

Builds the demo zone once, then times, several runs each:

* ``reads``: 24 calls of ``inv.assets(derived=False)`` one after another, then the same 24
  from a pool of 4 threads (each thread reads through its own SQLite connection);
* ``mixed``: 24 calls where every fourth is a one-field ``update`` (the write lock serialises
  them), serial and from the pool.

Prints the median and the spread (min–max) of each, and the ratio pool/serial. Run from the
repository root: ``.venv/bin/python benchmarks/bench_store_threads.py``.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import assetmatch as am

RUNS = 5
CALLS = 24


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    inv = am.Inventory.demo()
    ids = list(inv.assets(derived=False).index[:CALLS])
    day = [0]

    def read(_k: int) -> None:
        inv.assets(derived=False)

    def mixed(k: int) -> None:
        if k % 4 == 0:
            day[0] += 1
            inv.update(ids[k], note=f"bench {day[0]}", rent_yuan_m2_month=10.0 + day[0] % 7)
        else:
            inv.assets(derived=False)

    pool = ThreadPoolExecutor(4)
    for name, job in (("reads", read), ("mixed", mixed)):
        serial = [_timed(lambda j=job: [j(k) for k in range(CALLS)]) for _ in range(RUNS)]
        threaded = [_timed(lambda j=job: list(pool.map(j, range(CALLS)))) for _ in range(RUNS)]
        s, t = statistics.median(serial), statistics.median(threaded)
        print(
            f"{name}: serial {s:.3f} s ({min(serial):.3f}–{max(serial):.3f}), "
            f"4 threads {t:.3f} s ({min(threaded):.3f}–{max(threaded):.3f}), "
            f"ratio {t / s:.2f}"
        )
    pool.shutdown()
    inv.close()


if __name__ == "__main__":
    main()
