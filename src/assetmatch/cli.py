"""Command line: ``assetmatch demo`` and a few inventory chores.

``python -m assetmatch demo`` opens the synthetic demo zone, matches Hengzhong Education's
brief and prints the ranked shortlist with the top site's explanation.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _demo(args: argparse.Namespace) -> int:
    import assetmatch as am

    inv = am.Inventory.demo(args.store)
    _out(f"demo zone (synthetic): {inv.path}")
    from .demo import PUBLIC_BRIEFS

    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    res = am.match(req, inventory=inv, top=args.top, lang=args.lang)
    import pandas as pd

    t = res.table
    shown = pd.DataFrame(
        {
            "rank": t["rank"],
            "asset_id": t["asset_id"],
            "name": t["name"],
            "land_mu": t["land_area_mu"].round(1),
            "buildings_m2": t["building_area_m2"].round(0),
            "move_in_days": t["move_in_days"],
            "score": t["score"].round(3),
        }
    )
    c = res.counts
    _out(
        f"shortlist for {req.investor}: top {len(t)} of {c['n_eligible']} eligible sites "
        f"({c['n_offerable']} on offer, {c['n_assets']} in the inventory), as of {res.as_of}"
    )
    with pd.option_context("display.width", 200):
        _out(shown.to_string(index=False))
    top = res.table["asset_id"].iloc[0]
    _out()
    _out(str(res.explain(top, lang=args.lang)))
    if hasattr(res, "to_pdf") and args.pdf:
        res.to_pdf(args.pdf, lang=args.lang)
        _out(f"PDF written: {args.pdf}")
    return 0


def _import(args: argparse.Namespace) -> int:
    import assetmatch as am

    inv = am.Inventory.open(args.store)
    rep = inv.import_file(args.file, on_error=args.on_error)
    _out(str(rep))
    return 0 if rep.committed or not len(rep.rejected) else 1


def _history(args: argparse.Namespace) -> int:
    import assetmatch as am

    inv = am.Inventory.open(args.store, create=False)
    _out(inv.history(args.asset_id).to_string(index=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``assetmatch`` command."""
    parser = argparse.ArgumentParser(prog="assetmatch", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("demo", help="match Hengzhong Education's brief on the demo zone")
    p.add_argument("--store", default=None, help="write the demo GeoPackage here (default: temp)")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--pdf", default="hengzhong.pdf", help="PDF path, once reports are available")
    p.set_defaults(fn=_demo)
    p = sub.add_parser("import", help="import assets from a file into a store")
    p.add_argument("store")
    p.add_argument("file")
    p.add_argument("--on-error", choices=("skip", "raise"), default="skip")
    p.set_defaults(fn=_import)
    p = sub.add_parser("history", help="print the history of one asset")
    p.add_argument("store")
    p.add_argument("asset_id")
    p.set_defaults(fn=_history)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return int(args.fn(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
