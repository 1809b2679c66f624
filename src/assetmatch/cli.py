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
    from pathlib import Path

    import assetmatch as am

    if not Path(args.file).exists():  # before the store is opened, so no empty store is left
        raise am.SourceError(f"no such file: {args.file}")
    inv = am.Inventory.open(args.store)
    rep = inv.import_file(args.file, on_error=args.on_error)
    _out(str(rep))
    return 0 if rep.committed or not len(rep.rejected) else 1


def _history(args: argparse.Namespace) -> int:
    import assetmatch as am

    inv = am.Inventory.open(args.store, create=False)
    _out(inv.history(args.asset_id).to_string(index=False))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .service import serve

    origins = [o.strip() for o in args.cors.split(",") if o.strip()] if args.cors else None
    serve(
        args.store,
        host=args.host,
        port=args.port,
        keys=args.keys,
        cors_origins=origins,
        max_body_bytes=args.max_body_mb * 1024 * 1024,
    )
    return 0


def _keys_add(args: argparse.Namespace) -> int:
    from .service import add_key

    key = add_key(args.keys_file, scope=args.scope)
    _out(key)
    sys.stderr.write(
        f"new {args.scope} key added to {args.keys_file}; it is shown only this once\n"
    )
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
    p = sub.add_parser("serve", help="serve a store over HTTP (needs the 'service' extra)")
    p.add_argument("store", help="a GeoPackage path or a postgresql:// URL")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--keys", default=None, help="keys file; required for a non-loopback host")
    p.add_argument("--cors", default=None, help="comma-separated browser origins allowed")
    p.add_argument("--max-body-mb", type=int, default=20, help="largest request body, MiB")
    p.set_defaults(fn=_serve)
    p = sub.add_parser("keys", help="manage the service's API keys")
    ksub = p.add_subparsers(dest="keys_cmd", required=True)
    k = ksub.add_parser("add", help="make a new key, store its hash, print the key once")
    k.add_argument("keys_file")
    k.add_argument("--scope", choices=("read", "write"), default="read")
    k.set_defaults(fn=_keys_add)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from ._errors import AssetmatchError

    try:
        return int(args.fn(args))
    except AssetmatchError as exc:
        sys.stderr.write(f"assetmatch: {exc}\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
