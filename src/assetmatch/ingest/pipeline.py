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

import contextlib
import json
import logging
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .. import units
from .._errors import CRSError, Problem, SourceError, ValidationError
from ..domain import landuse
from ..geo import crs as crs_rules
from ..geo import geometry as geom_rules
from ..geo import webmap
from ..schema import (
    ASSET_COLUMNS,
    DERIVED_ASSET_COLUMNS,
    FIRM_COLUMNS,
    KINDS,
    OBSTACLE_KINDS,
    STATUSES,
    TENURE_MODES,
)
from ..store import history
from . import headers

logger = logging.getLogger(__name__)

Coords = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".gml", ".zip")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")

#: Relative disagreement between a declared land area and the boundary's that gets reported.
AREA_TOLERANCE = 0.05

#: Smallest ground area (m²) a boundary may enclose: anything smaller is a degenerate polygon
#: (a sliver, or a cap that projection crushed), not a parcel.
MIN_PARCEL_M2 = 1.0

_OBSTACLE_WORDS = {
    "规划调整": "planning_adjustment",
    "调规": "planning_adjustment",
    "用地整合": "land_consolidation",
    "土地整合": "land_consolidation",
    "整合": "land_consolidation",
    "搬迁": "relocation",
    "权属纠纷": "title_dispute",
    "产权纠纷": "title_dispute",
    "拆除": "demolition",
    "污染治理": "environmental_remediation",
    "土壤修复": "environmental_remediation",
    "配套改造": "utility_upgrade",
    "其他": "other",
}


# ============================================================================ report


@dataclass
class ImportReport:
    """What an import did, row by row.

    Attributes
    ----------
    source
        Where the rows came from.
    rows
        Number of rows read.
    created, updated, unchanged
        Asset ids written as new, changed (with one event per changed field), or identical.
    repaired
        DataFrame ``row, asset_id, reason, area_before_m2, area_after_m2, area_change_m2``.
    rejected
        DataFrame ``row, asset_id, field, reason`` — one line per problem.
    notes
        DataFrame ``row, asset_id, field, message`` — accepted rows worth a look (a declared
        area that disagrees with the boundary, a guessed unit…).
    committed
        Whether anything was written.
    columns
        Canonical field → the source's own column header (for the text of the report).
    row_order
        Row labels in source order (findings are listed in this order).
    coords
        The ``coords=`` the import was read with (``gcj02``/``bd09`` are noted in the text).
    """

    source: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=[
                "row",
                "asset_id",
                "reason",
                "area_before_m2",
                "area_after_m2",
                "area_change_m2",
            ]
        )
    )
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "asset_id", "field", "reason"])
    )
    notes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "asset_id", "field", "message"])
    )
    committed: bool = False
    events_written: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    row_order: list[Any] = field(default_factory=list)
    coords: str = "wgs84"

    @property
    def accepted(self) -> list[str]:
        """Ids of every accepted asset (created, updated or unchanged)."""
        return [*self.created, *self.updated, *self.unchanged]

    @property
    def n_rejected_rows(self) -> int:
        """Number of distinct rows rejected."""
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, lang: str = "en", *, limit: int = 40) -> str:
        """The report as text a person reads: a summary, then one line per finding.

        Findings (rejected, repaired, noted) come in the order of the rows in the source,
        and name fields by the source's own column headers (``面积（亩）``, not
        ``declared_land_area_m2``). A note says when web-map coordinates (GCJ-02, BD-09)
        were converted.

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"`` (the summary and labels; reasons stay as written).
        limit
            Most findings listed; the rest are counted.
        """
        if lang not in ("en", "zh"):
            raise ValidationError(
                "unknown report language", [Problem(None, "lang", f"'en' or 'zh'; got {lang!r}")]
            )
        zh = lang == "zh"
        n_acc, n_rej = len(self.accepted), self.n_rejected_rows
        if zh:
            head = (
                f"从 {self.source} 导入：共 {self.rows} 行，接受 {n_acc} 行（新增 "
                f"{len(self.created)}，更新 {len(self.updated)}，未变 {len(self.unchanged)}），"
                f"修复 {len(self.repaired)} 行，拒绝 {n_rej} 行；写入 {self.events_written} 条记录"
                + ("" if self.committed else "（未写入任何内容）")
            )
        else:
            head = (
                f"import from {self.source}: {self.rows} rows, {n_acc} accepted "
                f"({len(self.created)} new, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged), {len(self.repaired)} repaired, "
                f"{n_rej} rejected; {self.events_written} events written"
                + ("" if self.committed else " (nothing written)")
            )
        lines = [head]
        if self.coords in ("gcj02", "bd09"):
            name = {"gcj02": "GCJ-02", "bd09": "BD-09"}[self.coords]
            maps = {"gcj02": "高德、腾讯", "bd09": "百度"}[self.coords]
            maps_en = {"gcj02": "Amap, Tencent", "bd09": "Baidu"}[self.coords]
            lines.append(
                f"  坐标：按 {name}（{maps}地图）偏移坐标读取，已转换为 WGS 84 / CGCS2000 后再量算"
                if zh
                else f"  coordinates: read as {name} web-map coordinates ({maps_en}) and "
                "converted to WGS 84 / CGCS2000 before anything was measured"
            )
        label = {
            "rejected": "拒绝" if zh else "rejected",
            "repaired": "修复" if zh else "repaired",
            "note": "提示" if zh else "note",
        }
        found: list[tuple[int, int, str]] = []
        for kind, frame, text_col in (
            ("rejected", self.rejected, "reason"),
            ("repaired", self.repaired, "reason"),
            ("note", self.notes, "message"),
        ):
            for r in frame.itertuples(index=False):
                fld = getattr(r, "field", None)
                where = f"第 {r.row} 行" if zh else f"row {r.row}"
                shown = f"{self._column_name(fld)}: " if fld else ""
                line = f"  {label[kind]} {where} ({r.asset_id}): {shown}{getattr(r, text_col)}"
                found.append((self._position(r.row), len(found), line))
        found.sort()
        lines += [line for _, _, line in found[:limit]]
        if len(found) > limit:
            more = len(found) - limit
            lines.append(
                f"  …另有 {more} 条，见 .rejected / .repaired / .notes"
                if zh
                else f"  … {more} more in .rejected / .repaired / .notes"
            )
        return "\n".join(lines)

    def _column_name(self, fld: str) -> str:
        """The source's header for a canonical field (the field itself when unmapped)."""
        return self.columns.get(fld, fld)

    def _position(self, row: Any) -> int:
        try:
            return self.row_order.index(row)
        except ValueError:
            return len(self.row_order)


# ============================================================================ read


def read_source(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    crs: Any = None,
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    wkt: str | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a vector file, a CSV or an Excel sheet into a (Geo)DataFrame.

    Spreadsheets keep their rows as read (geometry is built later from lon/lat, x/y or WKT
    columns, see :func:`table_geometry`); their index is the spreadsheet row number, header
    being row 1. Vector files are read with pyogrio (any format GDAL reads).
    """
    if isinstance(source, pd.DataFrame):
        return source
    if not isinstance(source, str | os.PathLike):
        raise SourceError(
            f"cannot import a {type(source).__name__}: give a file path or a (Geo)DataFrame"
        )
    path = Path(source)
    if path.is_dir():
        raise SourceError(f"{path} is a directory; give the path of a file to import")
    if not path.exists():
        where = "" if path.parent.is_dir() else f" (the directory {path.parent} does not exist)"
        raise SourceError(f"no such file: {path}{where}")
    if path.stat().st_size == 0:
        raise SourceError(f"{path} is empty (0 bytes): nothing to import")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        df = _read_csv(path)
        df.index = pd.RangeIndex(2, 2 + len(df), name="row")
        return df
    if suffix in (".xlsx", ".xlsm", ".xls"):
        df = _read_excel(path, sheet)
        df.index = pd.RangeIndex(2, 2 + len(df), name="row")
        return df
    import pyogrio  # lazily: only file imports need GDAL

    try:
        with warnings.catch_warnings(record=True) as caught:  # GDAL's remarks go to the log
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(path, layer=layer)
        for w in caught:
            logger.warning("reading %s: %s", path, w.message)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise SourceError(
            f"{path} cannot be read: {exc}. Spreadsheets must end in .csv, .txt, .xlsx or "
            ".xls; other files must be vector data GDAL reads (GeoPackage, Shapefile, "
            "GeoJSON, KML…)"
        ) from exc
    if crs is not None:
        if gdf.crs is not None and CRS.from_user_input(crs) != gdf.crs:
            raise CRSError(
                f"{path} declares CRS {gdf.crs.to_string()} but crs={crs!r} was given; "
                "drop the crs argument, or fix the file"
            )
        gdf = gdf.set_crs(crs, allow_override=True)
    gdf.index.name = "row"
    return gdf


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """The sheet as read, every cell as written (formula cells hold their cached values)."""
    try:
        df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
    except (ValueError, KeyError, IndexError, zipfile.BadZipFile, OSError) as exc:
        raise SourceError(
            f"{path} cannot be read as an Excel workbook ({type(exc).__name__}: {exc}); save "
            "it again from Excel or WPS as .xlsx, or export the sheet as CSV"
        ) from exc
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        df.attrs["formula_blanks"] = _formulas_without_values(path, sheet)
    return df


def _formulas_without_values(path: Path, sheet: str | int | None) -> list[tuple[int, str]]:
    """(spreadsheet row, header) of formula cells the file holds no computed value for.

    A program that writes formulas without computing them (a script, some exporters) leaves
    such cells; pandas reads them as blank. Excel or WPS computes them when the file is saved.
    """
    from openpyxl import load_workbook

    try:
        formulas = load_workbook(path, read_only=True, data_only=False)
        values = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # pandas read the file; this check is only a courtesy
        return []
    try:
        pick = sheet if sheet is not None else 0
        name = formulas.sheetnames[pick] if isinstance(pick, int) else pick
        out: list[tuple[int, str]] = []
        header: list[str] = []
        rows = zip(
            formulas[name].iter_rows(values_only=True),
            values[name].iter_rows(values_only=True),
            strict=False,
        )
        for k, (frow, vrow) in enumerate(rows, start=1):
            if k == 1:
                header = [str(c) for c in frow]
                continue
            for j, (f, v) in enumerate(zip(frow, vrow, strict=False)):
                if isinstance(f, str) and f.startswith("=") and v is None:
                    out.append((k, header[j] if j < len(header) else f"column {j + 1}"))
        return out
    finally:
        formulas.close()
        values.close()


def _read_csv(path: Path) -> pd.DataFrame:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(
                path, dtype=object, encoding=enc, keep_default_na=False, na_values=[""]
            )
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise SourceError(f"{path} has no header row: nothing to import") from None
        except pd.errors.ParserError as exc:
            raise SourceError(f"{path} is not a readable CSV table: {exc}") from None
    raise SourceError(f"{path}: not UTF-8 nor GB18030 text")


# ============================================================================ columns


@dataclass
class ColumnMap:
    """Resolved column mapping: source column → (canonical field, unit)."""

    fields: dict[str, tuple[str, str | None]]
    extra: list[str]


def map_columns(df: pd.DataFrame, columns: Mapping[str, Any] | None = None) -> ColumnMap:
    """Decide which source column feeds which canonical field, with which unit.

    ``columns`` maps source names to a canonical name, or to ``(canonical, unit)`` with a
    unit key of :data:`assetmatch.units.UNITS`; other headers are recognised by
    :func:`assetmatch.ingest.headers.match_header` (Chinese and English, units in headers).
    """
    columns = dict(columns or {})
    unknown = [c for c in columns if c not in df.columns]
    if unknown:
        raise ValidationError(
            "columns= names columns the source does not have",
            [
                Problem(None, c, f"not a column; the source has {list(map(str, df.columns))}")
                for c in unknown
            ],
        )
    fields: dict[str, tuple[str, str | None]] = {}
    taken: dict[str, str] = {}
    problems: list[Problem] = []
    allowed = {*ASSET_COLUMNS, *FIRM_COLUMNS, "lon", "lat", "x", "y", "wkt", "geometry"}
    for src, target in columns.items():
        canon, unit = (target, None) if isinstance(target, str) else tuple(target)
        if canon not in allowed:
            problems.append(
                Problem(None, src, f"maps to unknown field {canon!r}; allowed: {sorted(allowed)}")
            )
            continue
        if unit is not None and unit not in units.UNITS:
            problems.append(
                Problem(None, src, f"unknown unit {unit!r}; known: {sorted(units.UNITS)}")
            )
            continue
        fields[src] = (canon, unit)
        taken[canon] = src
    if problems:
        raise ValidationError("columns= could not be used", problems)
    extra: list[str] = []
    geom_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) else None
    # exact canonical names first, so that e.g. an `asset_id` column beats a KML `id`
    for col in df.columns:
        if col not in fields and col != geom_name and col in allowed and col not in taken:
            fields[col] = (str(col), None)
            taken[str(col)] = col
    for col in df.columns:
        if col in fields or col == geom_name:
            continue
        m = headers.match_header(str(col))
        if m is None or m.field in taken:
            extra.append(str(col))
            continue
        fields[col] = (m.field, m.unit)
        taken[m.field] = col
    return ColumnMap(fields=fields, extra=extra)


# ============================================================================ values


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and v.strip() in ("", "-", "—", "/", "无数据", "nan", "NaN", "None"):
        return True
    return v is pd.NA or v is pd.NaT


_PLAIN_WORD = re.compile(r"^[\u4e00-\u9fff]{1,8}$")

#: Longest id the store keeps (asset, firm and deal ids).
MAX_ID_LENGTH = 200


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an id (asset, firm, deal), or None when it can.

    An id is non-empty text of at most :data:`MAX_ID_LENGTH` characters without control
    characters (a NUL, for one, cuts the id short in GDAL and in most C programs).
    """
    if _blank(value):
        return "missing: every record needs an id"
    text = str(value)
    bad = [ch for ch in text if unicodedata.category(ch) == "Cc"]
    if bad:
        return f"{text!r} holds a control character (U+{ord(bad[0]):04X}); ids are printable text"
    if len(text) > MAX_ID_LENGTH:
        return f"{len(text)} characters; an id has at most {MAX_ID_LENGTH}"
    return None


def _parse_float(values: pd.Series, fld: str, problems: list[Problem]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for k, (row, v) in enumerate(values.items()):
        if _blank(v):
            continue
        if isinstance(v, str):
            s = v.strip().replace(",", "").replace("，", "")
            try:
                f = float(s)
            except ValueError:
                problems.append(Problem(row, fld, f"{v!r} is not a number"))
                continue
        else:
            try:
                f = float(v)
            except (TypeError, ValueError):
                problems.append(Problem(row, fld, f"{v!r} is not a number"))
                continue
        if not math.isfinite(f):
            problems.append(Problem(row, fld, f"{v!r} is not a finite number"))
            continue
        if f < 0:
            problems.append(Problem(row, fld, f"{f:g} is negative"))
            continue
        out[k] = f
    return out


def _parse_date(
    values: pd.Series, fld: str, problems: list[Problem], dayfirst: bool | None = None
) -> list[str | None]:
    out: list[str | None] = []
    for row, v in values.items():
        if _blank(v):
            out.append(None)
            continue
        if isinstance(v, int | float) and not isinstance(v, bool) and 20000 < float(v) < 80000:
            v = pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(v))  # an Excel serial date
        try:
            ts = history.check_date(v, dayfirst=dayfirst)
        except ValueError as exc:
            problems.append(Problem(row, fld, str(exc)))
            out.append(None)
            continue
        out.append(ts.date().isoformat())
    return out


def _parse_obstacles(values: pd.Series, problems: list[Problem]) -> list[list[dict] | None]:
    out: list[list[dict] | None] = []
    for row, v in values.items():
        if isinstance(v, list | tuple | np.ndarray):
            items = list(v)
        elif _blank(v):
            out.append(None)
            continue
        elif isinstance(v, str) and v.strip().startswith("["):
            try:
                items = json.loads(v)
            except json.JSONDecodeError as exc:
                problems.append(Problem(row, "obstacles", f"invalid JSON: {exc}"))
                out.append(None)
                continue
        elif isinstance(v, str):
            if v.strip() in ("无", "none", "None", "没有"):
                out.append([])
                continue
            items = []
            for part in re.split(r"[;；、,，\n]+", v.strip()):
                part = part.strip()
                if not part:
                    continue
                m = re.match(
                    r"^(.*?)[（(]\s*(?:约)?\s*(\d+(?:\.\d+)?)\s*(天|日|个月|月)\s*[)）]?$", part
                )
                text, delay = (m.group(1).strip(), float(m.group(2))) if m else (part, None)
                if m and m.group(3) in ("个月", "月"):
                    delay = delay * 30.0 if delay is not None else None
                kind = next((k for w, k in _OBSTACLE_WORDS.items() if w in text), None)
                if kind is None and text in OBSTACLE_KINDS:
                    kind = text
                items.append({"kind": kind or "other", "description": text, "delay_days": delay})
        else:
            problems.append(Problem(row, "obstacles", f"{v!r} is not a list of obstacles"))
            out.append(None)
            continue
        clean: list[dict] = []
        ok = True
        for it in items:
            if not isinstance(it, Mapping):
                problems.append(Problem(row, "obstacles", f"{it!r} is not an obstacle record"))
                ok = False
                break
            kind = it.get("kind") or "other"
            if kind not in OBSTACLE_KINDS:
                problems.append(
                    Problem(
                        row,
                        "obstacles",
                        f"unknown obstacle kind {kind!r}; allowed: {list(OBSTACLE_KINDS)}",
                    )
                )
                ok = False
                break
            delay = it.get("delay_days")
            if delay is not None and not _blank(delay):
                try:
                    delay = float(delay)
                except (TypeError, ValueError):
                    problems.append(Problem(row, "obstacles", f"delay {delay!r} is not a number"))
                    ok = False
                    break
                if not math.isfinite(delay) or delay < 0:
                    problems.append(Problem(row, "obstacles", f"delay {delay!r} must be ≥ 0"))
                    ok = False
                    break
            else:
                delay = None
            clean.append({"kind": kind, "description": it.get("description"), "delay_days": delay})
        out.append(clean if ok else None)
    return out


def _parse_enum(
    values: pd.Series, fld: str, allowed: tuple[str, ...], problems: list[Problem]
) -> list[Any]:
    """English canonical values pass; others go through the Chinese vocabulary."""
    out: list[Any] = [None] * len(values)
    pending_idx: list[int] = []
    for k, v in enumerate(values):
        if _blank(v):
            continue
        if fld == "tenure":
            if isinstance(v, str) and v.strip().startswith("["):
                # a list as a GeoPackage text column holds it: ["lease","transfer"]
                with contextlib.suppress(json.JSONDecodeError):
                    v = json.loads(v)
            if isinstance(v, list | tuple | np.ndarray):
                items = [str(i).strip() for i in v]
            else:
                items = [i.strip() for i in re.split(r"[、,，;；/|]+", str(v)) if i.strip()]
            if all(i in allowed for i in items):
                out[k] = items
                continue
        elif str(v).strip() in allowed:
            out[k] = str(v).strip()
            continue
        pending_idx.append(k)
    if pending_idx:
        sub = values.iloc[pending_idx]
        mapped, probs = headers.map_values(fld, sub)
        problems.extend(probs)
        bad_rows = {p.row for p in probs}
        for k, row, val in zip(pending_idx, sub.index, mapped, strict=True):
            if row in bad_rows:
                continue
            out[k] = list(val) if fld == "tenure" and val is not None else val
    return out


def _parse_bool(values: pd.Series, fld: str, problems: list[Problem]) -> list[bool | None]:
    out: list[bool | None] = [None] * len(values)
    pending: list[int] = []
    for k, v in enumerate(values):
        if _blank(v):
            continue
        if isinstance(v, bool | np.bool_):
            out[k] = bool(v)
        else:
            pending.append(k)
    if pending:
        sub = values.iloc[pending]
        mapped, probs = headers.map_values(fld, sub)
        problems.extend(probs)
        bad = {p.row for p in probs}
        for k, row, val in zip(pending, sub.index, mapped, strict=True):
            if row not in bad and val is not None and not _blank(val):
                out[k] = bool(val)
    return out


def _converted(
    vals: np.ndarray,
    unit: str,
    fld: str,
    index: pd.Index,
    problems: list[Problem],
    **kw: Any,
) -> np.ndarray:
    """``units.convert`` with every result checked finite (1e308 亩 overflows to infinity)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.asarray(units.convert(vals, unit, **kw), dtype=float)
    broken = np.isfinite(vals) & ~np.isfinite(out)
    for row, v in zip(index[broken], vals[broken], strict=True):
        problems.append(
            Problem(row, fld, f"{v:g} {unit} is too large a number once converted to {fld}")
        )
    return np.where(broken, np.nan, out)


def parse_values(
    df: pd.DataFrame,
    mapping: ColumnMap,
    *,
    land_use_scheme: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Canonical, typed values from the mapped source columns.

    Returns the canonical frame (same index as ``df``; only the fields the source gives, plus
    ``extra``), the problems (row, field, reason) and notes (accepted but worth a look).
    """
    problems: list[Problem] = []
    notes: list[Problem] = []
    out = pd.DataFrame(index=df.index)
    by_field = {canon: (src, unit) for src, (canon, unit) in mapping.fields.items()}

    for fld, (src, unit) in by_field.items():
        if fld in DERIVED_ASSET_COLUMNS:
            if fld == "land_area_m2":  # a given land area is a declared one
                fld = "declared_land_area_m2"
            else:
                continue
        if fld in ("lon", "lat", "x", "y", "wkt", "geometry"):
            continue
        kind = ASSET_COLUMNS.get(fld) or FIRM_COLUMNS.get(fld)
        col = df[src]
        if fld == "rent_yuan_m2_month" and unit in units.TOTAL_RENT_UNITS:
            continue  # needs building areas: handled below
        if kind in ("float", "int"):
            vals = _parse_float(col, fld, problems)
            if unit is None and fld == "declared_land_area_m2" and src not in ASSET_COLUMNS:
                notes.extend(
                    Problem(
                        row,
                        fld,
                        "area header gives no unit; read as m² "
                        "(write 面积（亩） or pass columns={...: (field, 'mu')})",
                    )
                    for row in df.index[np.isfinite(vals)][:1]
                )
            if unit is not None:
                vals = _converted(vals, unit, fld, df.index, problems)
            out[fld] = vals
        elif kind == "date":
            out[fld] = _parse_date(col, fld, problems, dayfirst)
        elif kind == "bool":
            out[fld] = _parse_bool(col, fld, problems)
        elif fld == "status":
            out[fld] = _parse_enum(col, fld, STATUSES, problems)
        elif fld == "kind":
            out[fld] = _parse_enum(col, fld, KINDS, problems)
        elif fld == "tenure":
            out[fld] = _parse_enum(col, fld, TENURE_MODES, problems)
        elif fld == "obstacles":
            out[fld] = _parse_obstacles(col, problems)
        else:
            out[fld] = [None if _blank(v) else str(v).strip() for v in col]

    # a total rent needs the building area of the same row
    if "rent_yuan_m2_month" in by_field:
        src, unit = by_field["rent_yuan_m2_month"]
        if unit in units.TOTAL_RENT_UNITS:
            total = _parse_float(df[src], "rent_yuan_m2_month", problems)
            area = out.get("building_area_m2", pd.Series(np.nan, index=df.index)).to_numpy(float)
            missing = np.isfinite(total) & ~(np.isfinite(area) & (area > 0))
            for row in df.index[missing]:
                problems.append(
                    Problem(
                        row,
                        "rent_yuan_m2_month",
                        "a total monthly rent needs the building area of the "
                        "same row to give 元/㎡/月",
                    )
                )
            out["rent_yuan_m2_month"] = _converted(
                total, unit, "rent_yuan_m2_month", df.index, problems, building_area_m2=area
            )

    if "asset_id" in out:
        ids = out["asset_id"]
        for row in df.index[ids.isna().to_numpy()]:
            problems.append(Problem(row, "asset_id", "missing: every asset needs an id"))
        for row, v in ids[ids.notna()].items():
            why = id_problem(v)
            if why:
                problems.append(Problem(row, "asset_id", why))
        dup = ids.notna() & ids.duplicated(keep="first")
        first = {}
        for row, v in ids.items():
            if v is not None and v not in first:
                first[v] = row
        for row in df.index[dup.to_numpy()]:
            problems.append(
                Problem(
                    row, "asset_id", f"duplicate id {ids[row]!r} (first at row {first[ids[row]]})"
                )
            )

    if "land_use" in out:
        # staff write the class in a word (工业, 仓储, 教育): read it as that class's land
        # (工业用地…) in the scheme, and say so in the report
        words = {
            row: v
            for row, v in out["land_use"].items()
            if isinstance(v, str) and _PLAIN_WORD.match(v) and not v.endswith("用地")
        }
        for row, w in words.items():
            out.at[row, "land_use"] = w + "用地"
        schemes = out.get("land_use_scheme", None)
        resolved, probs = landuse.resolve_many(
            out["land_use"], schemes, default_scheme=land_use_scheme
        )
        problems.extend(probs)
        resolved.index = out.index
        bad = {p.row for p in probs}
        for row, w in words.items():
            if row in bad:
                continue
            code, scheme = resolved.at[row, "code"], resolved.at[row, "scheme"]
            notes.append(
                Problem(
                    row,
                    "land_use",
                    f"{w!r} read as {code} {w}用地 ({resolved.at[row, 'land_class']}) in "
                    f"{landuse.SCHEME_NAMES.get(scheme, scheme)}; give the code to be exact",
                )
            )
        out["land_use"] = resolved["code"].where(resolved["code"].notna(), None)
        out["land_use_scheme"] = resolved["scheme"].where(resolved["scheme"].notna(), None)

    if mapping.extra:
        records = df[mapping.extra].astype(object).where(df[mapping.extra].notna(), None)
        out["extra"] = [
            {
                k: (v if isinstance(v, str | int | float | bool) or v is None else str(v))
                for k, v in rec.items()
                if v is not None
            }
            or None
            for rec in records.to_dict("records")
        ]
    return out, problems, notes


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
    out = np.full(len(values), np.nan)
    for k, (row, v) in enumerate(values.items()):
        if _blank(v):
            continue
        try:
            f = float(str(v).strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            problems.append(Problem(row, fld, f"{v!r} is not a number"))
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
        raise ValueError(f"coords must be one of wgs84, cgcs2000, gcj02, bd09; got {coords!r}")
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

    if coords in ("gcj02", "bd09"):

        def _fix(c: np.ndarray) -> np.ndarray:
            lon, lat = webmap.to_wgs84(c[:, 0], c[:, 1], coords)
            return np.column_stack([lon, lat])

        finite = np.array(
            [g is not None and np.isfinite(shapely.get_coordinates(g)).all() for g in arr]
        )
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
        store_crs = crs_rules.choose_projected_crs(np.asarray(lon), np.asarray(lat))
        logger.info("store CRS chosen from the data: %s", store_crs.to_string())

    projected = np.full(len(arr), None, dtype=object)
    if ok.any():
        projected[ok] = gpd.GeoSeries(cleaned[ok], crs=src_crs).to_crs(store_crs).to_numpy()
        bad_coords = ok & ~np.array(
            [g is not None and np.isfinite(shapely.get_coordinates(g)).all() for g in projected]
        )
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
        misplaced, mprobs = check_placement(np.where(ok, projected, None), store_crs, index)
        problems.extend(mprobs)
        ok &= ~misplaced
        projected[~ok] = None

    is_point = np.array(
        [g is not None and g.geom_type in ("Point", "MultiPoint") for g in projected], dtype=bool
    )
    is_poly = ok & ~is_point
    area = np.full(len(arr), np.nan)
    if is_poly.any():
        area[is_poly] = crs_rules.ground_area_m2(projected[is_poly], store_crs)

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
) -> tuple[np.ndarray, list[Problem]]:
    """Refuse geometries (already in the store CRS) the store cannot hold.

    Outside the store CRS's area of use (see :func:`assetmatch.geo.crs.outside_area_of_use`:
    typically lon/lat given where metres were expected) or, with ``polygons``, a polygon of
    less than :data:`MIN_PARCEL_M2` on the ground.

    Returns
    -------
    bad
        Boolean mask of refused rows (missing geometries are left to the caller).
    problems
        One :class:`~assetmatch.Problem` per refused row.
    """
    arr = np.asarray(projected, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in arr], dtype=bool)
    bad = np.zeros(len(arr), dtype=bool)
    problems: list[Problem] = []
    if not present.any():
        return bad, problems
    idx = np.flatnonzero(present)
    sub = gpd.GeoSeries(arr[idx], crs=store_crs)
    outside = crs_rules.outside_area_of_use(sub, store_crs)
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
        is_poly = np.isin(shapely.get_type_id(arr[idx]), (3, 6)) & ~outside
        if is_poly.any():
            area = np.full(len(idx), np.inf)
            area[is_poly] = crs_rules.ground_area_m2(arr[idx][is_poly], store_crs)
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
    for k, g in enumerate(arr):
        if g is None or g.is_empty:
            continue
        c = shapely.get_coordinates(g)
        if len(c):
            out[k] = c[0, :2]
    return out


# ============================================================================ pipeline


@dataclass
class Prepared:
    """A canonical frame ready to write, and the report so far."""

    frame: gpd.GeoDataFrame  # indexed by source row, accepted rows only, store CRS
    given: list[str]  # canonical fields the source gave (others are "not given")
    report: ImportReport
    crs: CRS | None


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
    report.columns = {canon: str(src) for src, (canon, _) in mapping.fields.items()}
    if "declared_land_area_m2" not in report.columns and "land_area_m2" in report.columns:
        report.columns["declared_land_area_m2"] = report.columns["land_area_m2"]
    if "lon" in report.columns and "lat" in report.columns:
        report.columns["geometry"] = f"{report.columns['lon']}/{report.columns['lat']}"
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
    if isinstance(df, gpd.GeoDataFrame):
        geoms = df.geometry
        if geoms.crs is None and crs is not None:
            geoms = geoms.set_crs(crs)
    else:
        geoms, gprobs = table_geometry(df, mapping, crs=crs)
        problems.extend(gprobs)
    pg = prepare_geometry(geoms, store_crs=store_crs, coords=coords, swap_xy=swap_xy)
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

    report.rejected = pd.DataFrame(
        [
            {
                "row": p.row,
                "asset_id": ids.get(p.row) if p.row is not None else None,
                "field": p.field,
                "reason": p.reason,
            }
            for p in problems
        ],
        columns=["row", "asset_id", "field", "reason"],
    )
    report.notes = pd.DataFrame(
        [
            {"row": p.row, "asset_id": ids.get(p.row), "field": p.field, "message": p.reason}
            for p in notes
            if accept[df.index.get_loc(p.row)]
        ],
        columns=["row", "asset_id", "field", "message"],
    )
    rep = [
        dict(r, asset_id=ids.get(r["row"]))
        for r in pg.repaired
        if accept[df.index.get_loc(r["row"])]
    ]
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
