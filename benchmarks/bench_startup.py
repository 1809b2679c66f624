"""Start-up time of ``assetmatch --version``, ``--help`` and ``import assetmatch``.

Each command runs as a fresh process (``python -m assetmatch …`` is what the ``assetmatch``
script runs), for one or several source trees, interleaved round by round so that every
command sees the same load. The obvious alternative is measured in the same run: the full
import (``import assetmatch`` then every name of ``__all__``, what every start cost while
the package imported everything eagerly), and, with ``--src`` given twice, an older source tree::

    git archive fcee0d4 src | tar -x -C /tmp/eager            # the tree before lazy imports
    python benchmarks/bench_startup.py --src /tmp/eager/src --src src --rounds 15

Prints one table (median, min and max wall seconds per command and tree) and ``uptime``
before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger("bench_startup")

COMMANDS: dict[str, list[str]] = {
    "assetmatch --version": ["-m", "assetmatch", "--version"],
    "assetmatch --help": ["-m", "assetmatch", "--help"],
    "import assetmatch": ["-c", "import assetmatch"],
    "every public name": [
        "-c",
        "import assetmatch as am; [getattr(am, n) for n in am.__all__]",
    ],
}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _once(src: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "ASSETMATCH_LANG": "en"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", type=Path, help="a source tree (repeatable)")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    srcs = args.src or [Path(__file__).resolve().parents[1] / "src"]
    logger.info("before: %s", _uptime())
    times: dict[tuple[str, str], list[float]] = {}
    for src in srcs:  # warm the file cache, not timed
        for cmd in COMMANDS.values():
            _once(src, cmd)
    for r in range(args.rounds):
        for name, cmd in COMMANDS.items():
            for src in srcs:
                times.setdefault((name, str(src)), []).append(_once(src, cmd))
        logger.info("round %d/%d done", r + 1, args.rounds)
    logger.info("after: %s", _uptime())
    # the ratio: the first tree's median over this one's, for the same command
    print("| command | source | median s | min s | max s | first tree / this |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (name, src), ts in times.items():
        med = statistics.median(ts)
        ratio = statistics.median(times[(name, str(srcs[0]))]) / med
        print(f"| {name} | {src} | {med:.3f} | {min(ts):.3f} | {max(ts):.3f} | {ratio:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
