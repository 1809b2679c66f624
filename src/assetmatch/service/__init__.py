"""The HTTP service: ``match`` and the inventory for other services (FastAPI + uvicorn).

>>> from assetmatch.service import create_app, serve        # doctest: +SKIP
>>> serve("zone.gpkg", host="127.0.0.1", port=8000, keys="keys.jsonl")  # doctest: +SKIP

Needs the ``service`` extra (``pip install assetmatch[service]``). Nothing here is imported by
``import assetmatch``.
"""

from __future__ import annotations

from .errors import ServiceError
from .keys import SCOPES, KeyFile, add_key
from .server import create_app, serve

__all__ = ["SCOPES", "KeyFile", "ServiceError", "add_key", "create_app", "serve"]
