"""Start the service: checks on host and keys, then uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any

from .errors import ServiceError
from .keys import KeyFile

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(inventory: Any, **kw: Any) -> Any:
    """Build the FastAPI application over an open inventory (see :func:`.app.create_app`)."""
    try:
        from .app import create_app as _create
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ServiceError(
            f"The service needs FastAPI and uvicorn ({exc.name} is missing): "
            "pip install 'assetmatch[service]'"
        ) from None
    return _create(inventory, **kw)


def serve(
    store: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    keys: str | os.PathLike[str] | None = None,
    cors_origins: list[str] | None = None,
    max_body_bytes: int | None = None,
) -> None:
    """Open ``store`` and serve it over HTTP until interrupted.

    Parameters
    ----------
    store
        A GeoPackage path or a ``postgresql://`` URL; it must exist.
    host, port
        Where to listen. A host other than loopback needs ``keys``.
    keys
        A keys file made with ``assetmatch keys add``. Without it the service is read and
        match only, and listens on loopback only.
    cors_origins
        Browser origins allowed to call (CORS is off otherwise).
    max_body_bytes
        Largest request body (default 20 MiB).

    Raises
    ------
    ServiceError
        Without keys on a host other than loopback, or when the keys file cannot be read.
    """
    from ..inventory import Inventory

    kf = KeyFile(keys) if keys is not None else None
    if kf is None and not is_loopback(host):
        raise ServiceError(
            f"Refusing to listen on {host} without API keys: anyone on the network could read the "
            "inventory. Make a key with 'assetmatch keys add KEYS_FILE --scope read' and pass "
            "--keys, "
            "or listen on 127.0.0.1."
        )
    import uvicorn

    inv = Inventory.open(store, create=False)
    kw: dict[str, Any] = {"keys": kf, "cors_origins": cors_origins}
    if max_body_bytes is not None:
        kw["max_body_bytes"] = max_body_bytes
    app = create_app(inv, **kw)
    if kf is None:
        log.warning(
            "assetmatch service on http://%s:%d without keys: read and match only, loopback only",
            host,
            port,
        )
    else:
        log.info(
            "assetmatch service on http://%s:%d with %d key(s) from %s",
            host,
            port,
            len(kf.records),
            kf.path,
        )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)
    finally:
        inv.close()
