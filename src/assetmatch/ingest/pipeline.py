"""Importing assets: read any source, map columns, convert units and CRS, check every row.

The importer is a pipeline of named steps, each collecting problems instead of stopping at
the first one:

``read_source`` → ``map_columns`` → ``parse_values`` → ``prepare_geometry`` → :class:`Prepared`

Its product is a canonical frame in the store's projected CRS plus an :class:`ImportReport`
(accepted, repaired, rejected with row, field and reason). The inventory decides what to write.
Row labels in reports are the source's own: the spreadsheet row number (header = row 1) for
CSV and Excel, the feature id (0-based) for vector files, the index label for a GeoDataFrame.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .. import units
from .._errors import CRSError, Problem, ValidationError
from ..geo import crs as crs_rules
from ..geo import geometry as geom_rules
from ..geo import webmap
from . import vector
from .readers import TABLE_SUFFIXES, VECTOR_SUFFIXES, read_source
from .report import ImportReport
from .values import (
    NOT_PLAIN,
    ColumnMap,
    _blank,
    _short,
    id_problem,
    map_columns,
    parse_scalar,
    parse_values,
)

logger = logging.getLogger(__name__)

Coords = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


#: Relative disagreement between a declared land area and the boundary's that gets reported.
AREA_TOLERANCE = 0.05

#: Smallest ground area (m²) a boundary may enclose: anything smaller is a degenerate polygon
#: (a sliver, or a cap that projection crushed), not a parcel.
MIN_PARCEL_M2 = 1.0


# ============================================================================ geometry


def table_geometry(
    df: pd.DataFrame,
    mapping: ColumnMap,
    *,
    crs: Any = None,
) -> tuple[gpd.GeoSeries, list[Problem]]:
    """Build geometry for a spreadsheet from lon/lat, x/y or WKT columns.

    lon/lat default to CGCS2000 (EPSG:4490); x/y need ``crs``.
    """
    by_field = {canon: src for src, (canon, _) in mapping.fields.items()}
    problems: list[Problem] = []
    if "wkt" in by_field:
        vals = df[by_field["wkt"]]
        geoms = []
        for row, v in vals.items():
            if _blank(v):
                geoms.append(None)
                continue
            try:
                geoms.append(shapely.from_wkt(str(v)))
            except shapely.errors.GEOSException as exc:
                problems.append(Problem(row, "geometry", f"unreadable WKT: {exc}"))
                geoms.append(None)
        if crs is None:
            raise CRSError("a WKT column needs crs=... (the CRS its coordinates are in)")
        return gpd.GeoSeries(geoms, index=df.index, crs=crs), problems
    if "lon" in by_field and "lat" in by_field:
        lon = _parse_signed(df[by_field["lon"]], "lon", problems)
        lat = _parse_signed(df[by_field["lat"]], "lat", problems)
        pts = np.asarray(gpd.points_from_xy(lon, lat), dtype=object)
        pts[np.isnan(lon) | np.isnan(lat)] = None  # reported as missing, not non-finite
        return gpd.GeoSeries(pts, index=df.index, crs=crs or "EPSG:4490"), problems
    if "x" in by_field and "y" in by_field:
        if crs is None:
            raise CRSError(
                "x/y columns need crs=... (e.g. 'EPSG:4549' for CGCS2000 3° GK zone 120°E)"
            )
        xs = _parse_signed(df[by_field["x"]], "x", problems)
        ys = _parse_signed(df[by_field["y"]], "y", problems)
        return gpd.GeoSeries(gpd.points_from_xy(xs, ys), index=df.index, crs=crs), problems
    raise ValidationError(
        "the table has no location: give lon/lat (经度/纬度), x/y or WKT columns",
        [Problem(None, "geometry", f"columns found: {list(map(str, df.columns))}")],
    )


def _parse_signed(values: pd.Series, fld: str, problems: list[Problem]) -> np.ndarray:
    return vector.by_column(
        values,
        lambda v: vector.fast_float(v, signed=True, commas=False),
        lambda v, p: _signed_cells(v, fld, p),
        problems,
    ).astype(float)


def _signed_cells(values: pd.Series, fld: str, problems: list[Problem]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for k, (row, v) in enumerate(values.items()):
        if _blank(v):
            continue
        try:
            f = float(str(v).strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            problems.append(Problem(row, fld, f"{v!r} is not a number"))
            continue
        except OverflowError:  # an integer beyond any float
            problems.append(Problem(row, fld, f"{_short(v)} is not a finite number"))
            continue
        out[k] = f
    return out


@dataclass
class PreparedGeometry:
    """Geometry in the store CRS, derived areas, and what happened to each row."""

    geometry: np.ndarray
    land_area_m2: np.ndarray
    has_boundary: np.ndarray
    ok: np.ndarray
    problems: list[Problem]
    repaired: list[dict]
    crs: CRS | None


def _span(lo: float, hi: float) -> str:
    """``"218.62"`` for a point's coordinate, ``"118.6 to 218.6"`` for a range."""
    return f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"


def prepare_geometry(
    geoms: gpd.GeoSeries,
    *,
    store_crs: CRS | None,
    coords: Coords = "wgs84",
    swap_xy: bool = False,
) -> PreparedGeometry:
    """Check, repair and project geometry into the store CRS (chosen here if ``None``)."""
    crs_rules.require_crs(geoms, "the input geometry")
    src_crs = CRS.from_user_input(geoms.crs)
    arr = geoms.to_numpy()
    index = geoms.index
    problems: list[Problem] = []
    ok = np.ones(len(arr), dtype=bool)

    if coords not in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        raise ValidationError(
            "import refused",
            [Problem(None, "coords", f"one of wgs84, cgcs2000, gcj02, bd09; got {coords!r}")],
        )
    if coords in ("gcj02", "bd09") and not src_crs.is_geographic:
        raise CRSError(
            f"coords={coords!r} declares web-map lon/lat, but the input CRS is "
            f"{src_crs.to_string()} (projected); web-map offsets apply to lon/lat only"
        )

    if swap_xy:
        arr = shapely.transform(arr, lambda c: c[:, ::-1])
    else:
        xy = _first_xy(arr)
        swapped = crs_rules.detect_swapped_axes(xy[:, 0], xy[:, 1], src_crs)
        for row in index[np.asarray(swapped, dtype=bool)]:
            problems.append(
                Problem(
                    row,
                    "geometry",
                    "coordinates look swapped (latitude given as x / northing "
                    "as easting); fix the source or pass swap_xy=True",
                )
            )
        ok &= ~np.asarray(swapped, dtype=bool)

    if src_crs.is_geographic:  # a longitude beyond ±180° or a latitude beyond ±90°: a typo
        b = shapely.bounds(arr)  # NaN for a missing or empty geometry
        with np.errstate(invalid="ignore"):  # (not finite: refused as such further on)
            beyond = ok & np.isfinite(b).all(axis=1)
            beyond &= (b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)
        for k in np.flatnonzero(beyond):
            problems.append(
                Problem(
                    index[k],
                    "geometry",
                    f"longitude/latitude out of range (x {_span(b[k, 0], b[k, 2])}, "
                    f"y {_span(b[k, 1], b[k, 3])}): longitudes lie within ±180°, latitudes "
                    "within ±90°",
                )
            )
        ok &= ~beyond
        # exactly 0°, 0°: blank cells read as zero (no site of an inventory lies there)
        zero = ok & (b == 0).all(axis=1)
        for k in np.flatnonzero(zero):
            problems.append(
                Problem(
                    index[k],
                    "geometry",
                    "coordinates 0, 0 (blank cells read as zero?): give the site's longitude "
                    "and latitude",
                )
            )
        ok &= ~zero

    if coords in ("gcj02", "bd09"):

        def _fix(c: np.ndarray) -> np.ndarray:
            lon, lat = webmap.to_wgs84(c[:, 0], c[:, 1], coords)
            return np.column_stack([lon, lat])

        finite = _finite(arr)
        arr = arr.copy()
        arr[finite] = shapely.transform(arr[finite], _fix)

    check = geom_rules.check_geometries(gpd.GeoSeries(arr, index=index), allow_points=True)
    problems.extend(check.problems)
    ok &= np.asarray(check.ok, dtype=bool)
    cleaned = np.asarray(check.geometry, dtype=object)

    if store_crs is None:
        good = cleaned[ok]
        if len(good) == 0:  # nothing to write; every row is in the problems already
            n = len(arr)
            return PreparedGeometry(
                geometry=np.full(n, None, dtype=object),
                land_area_m2=np.full(n, np.nan),
                has_boundary=np.zeros(n, dtype=bool),
                ok=np.zeros(n, dtype=bool),
                problems=problems,
                repaired=[],
                crs=None,
            )
        lonlat = gpd.GeoSeries(good, crs=src_crs)
        lon, lat = crs_rules.to_lonlat(lonlat)
        store_crs = crs_rules.choose_projected_crs(
            np.asarray(lon), np.asarray(lat), margin_deg=crs_rules.AREA_OF_USE_MARGIN_DEG
        )
        logger.info("store CRS chosen from the data: %s", store_crs.to_string())

    projected = np.full(len(arr), None, dtype=object)
    measured = np.full(len(arr), np.nan)  # ground areas of the polygons placed
    if ok.any():
        projected[ok] = gpd.GeoSeries(cleaned[ok], crs=src_crs).to_crs(store_crs).to_numpy()
        bad_coords = ok & ~_finite(projected)
        for row in index[bad_coords]:
            problems.append(
                Problem(
                    row,
                    "geometry",
                    f"cannot be projected from {src_crs.to_string()} to "
                    f"{store_crs.to_string()} (outside the CRS's area?)",
                )
            )
        ok &= ~bad_coords
        misplaced, mprobs = check_placement(
            np.where(ok, projected, None), store_crs, index, ground_area=measured
        )
        problems.extend(mprobs)
        ok &= ~misplaced
        projected[~ok] = None

    is_point = np.isin(shapely.get_type_id(projected), (0, 4))  # Point, MultiPoint
    is_poly = ok & ~is_point
    area = np.full(len(arr), np.nan)
    if is_poly.any():
        # in a projected CRS each area is the geometry's own: the ones measured for placement
        area[is_poly] = (
            measured[is_poly]
            if store_crs.is_projected
            else crs_rules.ground_area_m2(projected[is_poly], store_crs)
        )

    repaired: list[dict] = []
    rep_mask = np.asarray(check.repaired, dtype=bool) & ok
    if rep_mask.any():
        drawn = [geom_rules.drop_stray_holes(g)[0] for g in arr[rep_mask]]
        before_geoms = gpd.GeoSeries(drawn, crs=src_crs).to_crs(store_crs).to_numpy()
        before = np.asarray(shapely.area(before_geoms), dtype=float)
        planar_after = np.asarray(shapely.area(projected[rep_mask]), dtype=float)
        scale = np.divide(
            area[rep_mask], planar_after, out=np.ones_like(planar_after), where=planar_after > 0
        )
        before = before * scale
        reasons = {r["row"]: r["reason"] for r in check.repairs}
        for row, b, a in zip(index[rep_mask], before, area[rep_mask], strict=True):
            repaired.append(
                {
                    "row": row,
                    "reason": reasons.get(row, "repaired with make_valid(structure)"),
                    "area_before_m2": float(b),
                    "area_after_m2": float(a),
                    "area_change_m2": float(a - b),
                }
            )
    return PreparedGeometry(
        geometry=projected,
        land_area_m2=area,
        has_boundary=is_poly,
        ok=ok,
        problems=problems,
        repaired=repaired,
        crs=store_crs,
    )


def check_placement(
    projected: np.ndarray,
    store_crs: CRS,
    index: Sequence[Any],
    *,
    what: str = "geometry",
    polygons: bool = True,
    ground_area: np.ndarray | None = None,
) -> tuple[np.ndarray, list[Problem]]:
    """Refuse geometries (already in the store CRS) the store cannot hold.

    Outside the store CRS's area of use (see :func:`assetmatch.geo.crs.outside_area_of_use`:
    typically lon/lat given where metres were expected) or, with ``polygons``, a polygon of
    less than :data:`MIN_PARCEL_M2` on the ground.

    With ``ground_area`` (a float array, one entry per geometry), the ground area (m²) of
    every polygon measured is written into it.

    Returns
    -------
    bad
        Boolean mask of refused rows (missing geometries are left to the caller).
    problems
        One :class:`~assetmatch.Problem` per refused row.
    """
    arr = np.asarray(projected, dtype=object)
    present = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    bad = np.zeros(len(arr), dtype=bool)
    problems: list[Problem] = []
    if not present.any():
        return bad, problems
    idx = np.flatnonzero(present)
    outside = crs_rules.outside_own_area_of_use(arr[idx], store_crs)
    area_use = store_crs.area_of_use
    where = f" ({area_use.name}, {area_use.bounds})" if area_use is not None else ""
    for k in np.flatnonzero(outside):
        bad[idx[k]] = True
        problems.append(
            Problem(
                index[idx[k]],
                what,
                f"coordinates lie outside the area of use of the store CRS "
                f"{store_crs.to_string()}{where}; lon/lat given for metres? give the "
                "geometry with its CRS (a GeoSeries, or crs=...)",
            )
        )
    if polygons:
        kinds = shapely.get_type_id(arr[idx])
        is_poly = ((kinds == 3) | (kinds == 6)) & ~outside  # not np.isin: ~14 µs for one
        if is_poly.any():
            area = np.full(len(idx), np.inf)
            area[is_poly] = crs_rules.ground_area_m2(arr[idx][is_poly], store_crs)
            if ground_area is not None:
                ground_area[idx[is_poly]] = area[is_poly]
            for k in np.flatnonzero(is_poly & ~(area >= MIN_PARCEL_M2)):
                bad[idx[k]] = True
                problems.append(
                    Problem(
                        index[idx[k]],
                        what,
                        f"degenerate polygon: {area[k]:.3g} m² on the ground (a boundary "
                        f"encloses at least {MIN_PARCEL_M2:g} m²)",
                    )
                )
    return bad, problems


def _first_xy(arr: np.ndarray) -> np.ndarray:
    """The first coordinate of each geometry (NaN for missing/empty)."""
    out = np.full((len(arr), 2), np.nan)
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    if len(coords):
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        out[owner[first]] = coords[first]
    return out


def _finite(arr: np.ndarray) -> np.ndarray:
    """Geometries present with every x and y finite (an empty one has none to check)."""
    ok = ~shapely.is_missing(arr)
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    if len(coords):
        ok[owner[~np.isfinite(coords).all(axis=1)]] = False
    return ok


# ============================================================================ pipeline


@dataclass
class Prepared:
    """A canonical frame ready to write, and the report so far."""

    frame: gpd.GeoDataFrame  # indexed by source row, accepted rows only, store CRS
    given: list[str]  # canonical fields the source gave (others are "not given")
    report: ImportReport
    crs: CRS | None


#: From this many rows on, :func:`prepare_assets` checks the geometry in a second thread while
#: it parses the values (below, a thread costs more than it saves).
PARALLEL_ROWS = 5_000


class _Beside:
    """Run ``work`` in a thread beside the ``with`` block (or, when not ``parallel``, at
    :meth:`result`), with the caller's context (numpy's error state among it).

    Leaving the block waits for the thread, so an error of the block comes first, as if
    ``work`` ran after it; :meth:`result` gives ``work``'s value or raises its error."""

    def __init__(self, work: Callable[[], Any], parallel: bool) -> None:
        self._work = work
        self._parallel = parallel
        self._thread: threading.Thread | None = None
        self._outcome: tuple[bool, Any] | None = None

    def _run(self) -> None:
        try:
            self._outcome = (True, self._work())
        except BaseException as exc:  # handed to the caller's thread
            self._outcome = (False, exc)

    def __enter__(self) -> _Beside:
        if self._parallel:
            context = contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._run,), name="assetmatch-geometry-checks"
            )
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> Any:
        if self._outcome is None:
            self._run()
        assert self._outcome is not None
        ok, value = self._outcome
        if not ok:
            raise value
        return value


def prepare_assets(
    source: Any,
    *,
    store_crs: CRS | None,
    columns: Mapping[str, Any] | None = None,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    crs: Any = None,
    coords: Coords = "wgs84",
    swap_xy: bool = False,
    land_use_scheme: str | None = None,
    source_name: str | None = None,
    dayfirst: bool | None = None,
) -> Prepared:
    """Run the import pipeline up to (not including) the write."""
    name = source_name or (str(source) if not isinstance(source, pd.DataFrame) else "DataFrame")
    df = read_source(source, layer=layer, sheet=sheet, crs=crs)
    report = ImportReport(source=name, rows=len(df), coords=coords)
    if df.index.name == "asset_id":  # an inventory-style frame: the index is the id
        df = df.reset_index()
    mapping = map_columns(df, columns)
    report.row_order = list(df.index)
    formula_blanks = df.attrs.pop("formula_blanks", [])
    report.header_row = int(df.attrs.pop("header_row", 1))
    report.header_lines = int(df.attrs.pop("header_lines", 1))
    totals_rows = df.attrs.pop("totals_rows", [])
    report.columns = {canon: str(src) for src, (canon, _) in mapping.fields.items()}
    report.extra_columns = [str(c) for c in mapping.extra]
    report.shadowed_columns = dict(mapping.shadowed)
    if "declared_land_area_m2" not in report.columns and "land_area_m2" in report.columns:
        report.columns["declared_land_area_m2"] = report.columns["land_area_m2"]
    if "lon" in report.columns and "lat" in report.columns:
        report.columns["geometry"] = f"{report.columns['lon']}/{report.columns['lat']}"

    def geometry() -> tuple[list[Problem], PreparedGeometry]:
        if isinstance(df, gpd.GeoDataFrame):
            geoms = df.geometry
            if geoms.crs is None and crs is not None:
                geoms = geoms.set_crs(crs)
            gprobs: list[Problem] = []
        else:
            geoms, gprobs = table_geometry(df, mapping, crs=crs)
        return gprobs, prepare_geometry(geoms, store_crs=store_crs, coords=coords, swap_xy=swap_xy)

    # the geometry's checks (mostly GEOS and PROJ, which let other threads run) beside the
    # values' (mostly Python): on two cores the two halves overlap; results and the order of
    # problems and errors as when run one after the other
    with _Beside(geometry, len(df) >= PARALLEL_ROWS) as geometry_done:
        values, problems, notes = parse_values(
            df, mapping, land_use_scheme=land_use_scheme, dayfirst=dayfirst
        )
    if "asset_id" not in values:
        raise ValidationError(
            "the source has no asset id column",
            [
                Problem(
                    None,
                    "asset_id",
                    "map one with columns={'<column>': 'asset_id'}; "
                    f"columns found: {list(map(str, df.columns))}",
                )
            ],
        )
    gprobs, pg = geometry_done.result()
    problems.extend(gprobs)
    problems.extend(pg.problems)

    ids = values["asset_id"]
    bad_rows = {p.row for p in problems}
    accept = pg.ok & ~df.index.isin(list(bad_rows))
    # declared vs boundary area
    if "declared_land_area_m2" in values:
        decl = values["declared_land_area_m2"].to_numpy(float)
        both = accept & pg.has_boundary & np.isfinite(decl) & (decl > 0)
        rel = np.zeros(len(decl))
        rel[both] = (pg.land_area_m2[both] - decl[both]) / decl[both]
        for k in np.flatnonzero(both & (np.abs(rel) > AREA_TOLERANCE)):
            notes.append(
                Problem(
                    df.index[k],
                    "declared_land_area_m2",
                    f"declared {decl[k]:,.0f} m² ({units.m2_to_mu(decl[k]):.1f} mu) but the "
                    f"boundary measures {pg.land_area_m2[k]:,.0f} m² "
                    f"({units.m2_to_mu(pg.land_area_m2[k]):.1f} mu), {rel[k]:+.1%}; "
                    "the boundary's area is used",
                )
            )

    for row, header in formula_blanks:
        canon = mapping.fields.get(header, (header, None))[0]
        notes.append(
            Problem(
                row,
                canon,
                f"cell under {header!r} is a formula the file holds no value for; read as "
                "blank (open and save the file in Excel or WPS to compute it)",
            )
        )

    id_of = dict(zip(df.index, ids.to_numpy(dtype=object), strict=True))
    at = {row: k for k, row in enumerate(df.index)}
    report.rejected = pd.DataFrame(
        [
            {
                "row": p.row,
                "asset_id": id_of.get(p.row) if p.row is not None else None,
                "field": p.field,
                "reason": p.reason,
            }
            for p in problems
        ],
        columns=["row", "asset_id", "field", "reason"],
    )
    kept = [p for p in notes if accept[at[p.row]]]
    # the ledger's totals lines the reader left out: said, so that no line goes unexplained
    kept += [
        Problem(r, None, f"a totals line ({w}), not an asset: skipped") for r, w in totals_rows
    ]
    report.notes = (
        pd.DataFrame(
            {
                "row": [p.row for p in kept],
                "asset_id": [id_of.get(p.row) for p in kept],
                "field": [p.field for p in kept],
                "message": [p.reason for p in kept],
            }
        )
        if kept
        else pd.DataFrame([], columns=["row", "asset_id", "field", "message"])
    )
    rep = [dict(r, asset_id=id_of.get(r["row"])) for r in pg.repaired if accept[at[r["row"]]]]
    report.repaired = pd.DataFrame(
        rep,
        columns=["row", "asset_id", "reason", "area_before_m2", "area_after_m2", "area_change_m2"],
    )
    frame = values[accept].copy()
    frame["land_area_m2"] = pg.land_area_m2[accept]
    frame["has_boundary"] = pg.has_boundary[accept]
    gdf = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(pg.geometry[accept], index=frame.index), crs=pg.crs
    )
    given = [c for c in values.columns if c != "asset_id"]
    logger.info(
        "prepared %d of %d rows from %s (%d problems, %d repairs)",
        len(gdf),
        len(df),
        name,
        len(problems),
        len(rep),
    )
    return Prepared(frame=gdf, given=given, report=report, crs=pg.crs)


__all__ = [  # the steps, wherever they live, under the one name the inventory uses
    "NOT_PLAIN",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "ColumnMap",
    "ImportReport",
    "Prepared",
    "PreparedGeometry",
    "check_placement",
    "id_problem",
    "map_columns",
    "parse_scalar",
    "parse_values",
    "prepare_assets",
    "prepare_geometry",
    "read_source",
    "table_geometry",
]
