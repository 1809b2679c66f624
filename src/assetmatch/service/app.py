"""The HTTP service: FastAPI routes over one open :class:`~assetmatch.Inventory`.

Routes are versioned (``/v1/…``), take and give JSON (GeoJSON for assets, in WGS 84 as RFC 7946
asks) and answer every failure in one error shape (:mod:`assetmatch.service.errors`). Request
bodies are parsed here, not by FastAPI's default handler, so that ``NaN``, ``Infinity`` and
numbers beyond a float get a 422 that names the field instead of a 500, and invalid input is
never echoed back.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from .._errors import AssetmatchError, Problem, SourceError, ValidationError
from ..allocate import match_many
from ..inventory import Inventory
from ..match import match
from ..requirements import Requirements
from .errors import error_body, library_error_body, status_of
from .keys import KeyFile
from .limits import BodyLimit

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
"""Largest request body accepted (uploads included): 20 MiB."""

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls", ".gpkg", ".geojson", ".json", ".zip")
"""File types an upload may be (the suffix of the uploaded name; the path itself is never used)."""


# ----------------------------------------------------------------------------- JSON in and out
class _BadJSONError(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _refuse_constant(name: str) -> Any:
    raise _BadJSONError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise _BadJSONError(f"the number {text[:40]} is beyond the range of a float")
    return v


def parse_json(body: bytes) -> Any:
    """Parse a request body strictly: no NaN/Infinity, no overflowing floats, bounded depth."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _BadJSONError as exc:
        raise ValidationError(
            "The request body is not valid JSON:", [Problem(None, "<body>", exc.reason)]
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, int digits limit
        reason = str(exc).split("\n")[0][:200]
        raise ValidationError(
            "The request body is not valid JSON:", [Problem(None, "<body>", reason)]
        ) from None
    except RecursionError:
        raise ValidationError(
            "The request body is not valid JSON:", [Problem(None, "<body>", "nested too deeply")]
        ) from None


def jsonable(v: Any) -> Any:
    """A value as plain JSON: NaN/NaT → null, dates → ISO text, numpy → Python."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, bool | str | int):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, pd.Timestamp | datetime):
        if pd.isna(v):
            return None
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | np.ndarray):
        return [jsonable(x) for x in v]
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _json(obj: Any, status: int = 200, media_type: str = "application/json") -> Response:
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    return Response(text, status_code=status, media_type=media_type)


def features(gdf: Any) -> list[dict[str, Any]]:
    """GeoJSON features of assets (WGS 84 lon/lat, the asset id as the feature id)."""
    from shapely.geometry import mapping

    if len(gdf) == 0:
        return []
    g = gdf.to_crs(4326) if gdf.crs is not None else gdf
    geom_col = g.geometry.name
    props = g.drop(columns=[geom_col])
    out = []
    for (aid, row), geom in zip(props.iterrows(), g.geometry, strict=True):
        out.append(
            {
                "type": "Feature",
                "id": str(aid),
                "geometry": None if geom is None or geom.is_empty else mapping(geom),
                "properties": {"asset_id": str(aid), **{k: jsonable(v) for k, v in row.items()}},
            }
        )
    return out


# ----------------------------------------------------------------------------- the application
def _upload_name(filename: str) -> str:
    """The uploaded file's own name (no directories), printable, at most 200 characters: what
    the import report and the history call the source."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in base if c.isprintable()).strip()
    return (text or "upload")[:200]


def create_app(
    inventory: Inventory,
    *,
    keys: KeyFile | None = None,
    cors_origins: list[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """Build the service's application over an open inventory.

    Parameters
    ----------
    inventory
        The inventory to serve; it may be shared by the server's thread pool.
    keys
        Accepted API keys. Without keys every read and match route is open and every write
        route answers 403 (run this way only on a loopback host: :func:`serve` enforces it).
    cors_origins
        Origins allowed to call from a browser. CORS is off when not given.
    max_body_bytes
        Bodies above this get 413, chunked bodies included.
    """
    app = FastAPI(
        title="assetmatch",
        version=__version__,
        description="Match idle and low-efficiency land and factories to investors.",
    )
    app.state.inventory = inventory
    app.state.keys = keys

    def require(scope: str) -> Callable[[Request], None]:
        def check(request: Request) -> None:
            kf: KeyFile | None = request.app.state.keys
            given = request.headers.get("x-api-key")
            auth = request.headers.get("authorization", "")
            if not given and auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if kf is None:
                if scope == "write":
                    raise _DeniedError(403, "This service runs without keys: read and match only.")
                return
            have = kf.scope_of(given)
            if have is None:
                raise _DeniedError(
                    401, "A valid API key is required (header X-API-Key or Authorization: Bearer)."
                )
            if scope == "write" and have != "write":
                raise _DeniedError(403, "This key has the 'read' scope; this route needs 'write'.")

        return check

    read = Depends(require("read"))
    write = Depends(require("write"))

    @app.exception_handler(AssetmatchError)
    async def _library_error(request: Request, exc: AssetmatchError) -> Response:
        return _json(library_error_body(exc), status_of(exc))

    @app.exception_handler(_DeniedError)
    async def _denied(request: Request, exc: _DeniedError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        r = _json(error_body("AccessDenied", exc.message), exc.status)
        r.headers.update(headers)
        return r

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Problem(
                None,
                ".".join(str(x) for x in e.get("loc", ())[1:]) or "<request>",
                str(e.get("msg", "")),
            )
            for e in exc.errors()
        ]
        return _json(error_body("ValidationError", "The request is not valid:", problems), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _json(error_body("HTTPError", str(exc.detail)), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return _json(error_body("InternalError", "An unexpected error; it was logged."), 500)

    @app.get("/healthz", tags=["service"])
    def healthz() -> Response:
        """Liveness: the service answers and its inventory can be read."""
        inv: Inventory = app.state.inventory
        return _json({"status": "ok", "version": __version__, "state_time": inv.state_time})

    @app.post(
        "/v1/match",
        tags=["match"],
        dependencies=[read],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": Requirements.json_schema()}},
            }
        },
    )
    async def match_route(
        request: Request,
        top: int = Query(10, ge=1, le=200),
        as_of: str | None = Query(None, max_length=32),
        lang: str = Query("zh", pattern="^(zh|en)$"),
    ) -> Response:
        """Rank the inventory for a requirements document (JSON as ``MatchResult.to_dict()``)."""
        req = Requirements.model_validate(_object(parse_json(await request.body())))
        from starlette.concurrency import run_in_threadpool

        res = await run_in_threadpool(
            match, req, inventory=app.state.inventory, top=top, as_of=as_of, lang=lang
        )
        return Response(res.to_json(indent=None), media_type="application/json")

    @app.post(
        "/v1/match/report",
        tags=["match"],
        dependencies=[read],
        response_class=Response,
        responses={
            200: {
                "description": "The ranked-parcel PDF brief.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": Requirements.json_schema()}},
            }
        },
    )
    async def match_report_route(
        request: Request,
        top: int = Query(10, ge=1, le=50),
        as_of: str | None = Query(None, max_length=32),
        lang: str = Query("zh", pattern="^(zh|en)$"),
    ) -> Response:
        """Rank the inventory for a requirements document and answer the PDF brief
        (``MatchResult.to_pdf``)."""
        req = Requirements.model_validate(_object(parse_json(await request.body())))
        from starlette.concurrency import run_in_threadpool

        from ..report import report_bytes

        def brief() -> bytes:
            res = match(req, inventory=app.state.inventory, top=top, as_of=as_of, lang=lang)
            return report_bytes(res, lang)

        pdf = await run_in_threadpool(brief)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="brief.pdf"'},
        )

    @app.post(
        "/v1/match-many",
        tags=["match"],
        dependencies=[read],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["requirements"],
                            "additionalProperties": False,
                            "properties": {
                                "requirements": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_MANY,
                                    "items": Requirements.json_schema(),
                                    "description": "One requirements document per investor.",
                                },
                                "offer": {
                                    "type": "boolean",
                                    "description": "Record the allocation as offers (needs "
                                    "a key with the 'write' scope).",
                                },
                                "at": {"type": "string", "description": "Date of the offers."},
                            },
                        }
                    }
                },
            }
        },
    )
    async def match_many_route(
        request: Request, as_of: str | None = Query(None, max_length=32)
    ) -> Response:
        """Allocate at most one site to each investor for the best total fit (one row per
        brief, as ``assetmatch.match_many``); ``"offer": true`` records the offers."""
        body = _object(parse_json(await request.body()))
        extra = sorted(set(body) - {"requirements", "offer", "at"})
        briefs = body.get("requirements")
        problems = [
            Problem(None, k, "unknown field; allowed: requirements, offer, at") for k in extra
        ]
        if not isinstance(briefs, list) or not 1 <= len(briefs) <= MAX_MANY:
            problems.append(
                Problem(None, "requirements", f"a list of 1 to {MAX_MANY} requirements documents")
            )
        offer = body.get("offer", False)
        if not isinstance(offer, bool):
            problems.append(Problem(None, "offer", "true or false"))
        at = body.get("at")
        if at is not None and not isinstance(at, str):
            problems.append(Problem(None, "at", "a date such as 2026-03-01"))
        if problems:
            raise ValidationError("The request body is not valid:", problems)
        if offer:
            require("write")(request)
        reqs = [Requirements.model_validate(_object_at(b, i)) for i, b in enumerate(briefs)]
        from starlette.concurrency import run_in_threadpool

        table = await run_in_threadpool(
            match_many, reqs, inventory=app.state.inventory, as_of=as_of, offer=offer, at=at
        )
        records = [{k: jsonable(v) for k, v in r.items()} for r in table.to_dict(orient="records")]
        return _json({"allocation": records, "total_score": table.attrs["total_score"]})

    geojson = {200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}}

    @app.get("/v1/assets", tags=["inventory"], dependencies=[read], responses=geojson)
    def list_assets(
        status: Annotated[list[str] | None, Query(max_length=20)] = None,
        min_land_mu: float | None = Query(None, ge=0, le=1e9),
        max_land_mu: float | None = Query(None, ge=0, le=1e9),
        as_of: str | None = Query(None, max_length=32),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> Response:
        """Assets as a GeoJSON FeatureCollection (WGS 84), filtered and paged."""
        from ..units import MU_M2

        a = app.state.inventory.assets(as_of=as_of)
        keep = np.ones(len(a), dtype=bool)
        if status:
            keep &= a["status"].isin(status).to_numpy()
        area_mu = (a["land_area_m2"] / MU_M2).to_numpy()
        if min_land_mu is not None:
            keep &= np.nan_to_num(area_mu, nan=-1.0) >= min_land_mu
        if max_land_mu is not None:
            keep &= np.nan_to_num(area_mu, nan=np.inf) <= max_land_mu
        sel = a[keep]
        page = sel.iloc[offset : offset + limit]
        return _json(
            {
                "type": "FeatureCollection",
                "features": features(page),
                "total": len(sel),
                "offset": offset,
                "limit": limit,
            },
            media_type="application/geo+json",
        )

    @app.get("/v1/assets/{asset_id}", tags=["inventory"], dependencies=[read], responses=geojson)
    def get_asset(asset_id: str, as_of: str | None = Query(None, max_length=32)) -> Response:
        """One asset as a GeoJSON Feature (WGS 84)."""
        from .._errors import UnknownAssetError

        a = app.state.inventory.assets(as_of=as_of)
        if asset_id not in a.index:
            raise UnknownAssetError(f"No asset {asset_id!r} in the inventory.")
        return _json(features(a.loc[[asset_id]])[0], media_type="application/geo+json")

    @app.get("/v1/assets/{asset_id}/history", tags=["inventory"], dependencies=[read])
    def get_history(asset_id: str) -> Response:
        """Every event of one asset, oldest first."""
        h = app.state.inventory.history(asset_id)
        records = [{k: jsonable(v) for k, v in r.items()} for r in h.to_dict(orient="records")]
        return _json({"asset_id": asset_id, "events": records})

    @app.post(
        "/v1/assets/{asset_id}/events",
        tags=["inventory"],
        dependencies=[write],
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "description": "Fields to change (canonical names, e.g. status, "
                            "rent_yuan_m2_month), "
                            "with optional at (valid date), author and note.",
                            "additionalProperties": True,
                        }
                    }
                },
            }
        },
    )
    async def post_event(asset_id: str, request: Request) -> Response:
        """Record a change to one asset (status, rent, obstacles…): one event per changed field."""
        body = _object(parse_json(await request.body()))
        if "geometry" in body:
            raise ValidationError(
                "Cannot record the change:",
                [
                    Problem(
                        None, "geometry", "boundaries change through POST /v1/imports, not events"
                    )
                ],
            )
        meta = {k: body.pop(k) for k in ("at", "author", "note") if k in body}
        if not body:
            raise ValidationError(
                "Cannot record the change:",
                [Problem(None, "<body>", "name at least one field to change")],
            )
        from starlette.concurrency import run_in_threadpool

        inv: Inventory = app.state.inventory
        await run_in_threadpool(lambda: inv.update(asset_id, **meta, **body))
        h = inv.history(asset_id)
        return _json({"asset_id": asset_id, "events": len(h)}, 201)

    @app.post("/v1/imports", tags=["inventory"], dependencies=[write], status_code=201)
    def post_import(
        file: Annotated[UploadFile, File(description="CSV, Excel, GeoPackage, GeoJSON, zip")],
        on_error: str = Query("skip", pattern="^(skip|raise)$"),
        lang: str = Query("zh", pattern="^(zh|en)$"),
    ) -> Response:
        """Import assets from an uploaded file; answers the import report."""
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise ValidationError(
                "Cannot import the upload:",
                [
                    Problem(
                        None,
                        "file",
                        f"the file name must end in one of {', '.join(UPLOAD_SUFFIXES)}",
                    )
                ],
            )
        # the report, the history and any error name the upload, never where it was saved
        name = _upload_name(file.filename or "")
        tmpdir = tempfile.mkdtemp(prefix="assetmatch-upload-")
        try:
            path = os.path.join(tmpdir, "upload" + suffix)
            with open(path, "wb") as out:
                shutil.copyfileobj(file.file, out)
            try:
                rep = app.state.inventory.import_file(path, on_error=on_error, source=name)
            except SourceError as exc:
                raise SourceError(str(exc).replace(path, name)) from None
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        return _json(
            {
                "rows": rep.rows,
                "committed": rep.committed,
                "created": rep.created,
                "updated": rep.updated,
                "unchanged": rep.unchanged,
                "rejected": [
                    {k: jsonable(v) for k, v in r.items()}
                    for r in rep.rejected.to_dict(orient="records")
                ],
                "repaired": [
                    {k: jsonable(v) for k, v in r.items()}
                    for r in rep.repaired.to_dict(orient="records")
                ],
                "notes": [
                    {k: jsonable(v) for k, v in r.items()}
                    for r in rep.notes.to_dict(orient="records")
                ],
                "text": rep.to_text(lang=lang),
            },
            201,
        )

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return app


class _DeniedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


#: Most briefs one /v1/match-many request may carry.
MAX_MANY = 2_000


def _object_at(obj: Any, i: int) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValidationError(
            "The request body is not valid:",
            [Problem(i, "requirements", "each requirements document must be a JSON object")],
        )
    return obj


def _object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValidationError(
            "The request body is not valid:", [Problem(None, "<body>", "must be a JSON object")]
        )
    return obj
