"""Reading a source: vector files (GDAL, via pyogrio), CSV and Excel sheets, into a frame."""

from __future__ import annotations

import csv
import itertools
import logging
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from .._errors import CRSError, SourceError
from .headers import match_header
from .values import _blank

logger = logging.getLogger(__name__)

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".gml", ".zip")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")


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
        df, header_row = _read_csv(path)
        return _table_rows(df, header_row)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        df, header_row = _read_excel(path, sheet)
        return _table_rows(df, header_row)
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


#: Lines of a spreadsheet searched for its header (a ledger's title and notes come first).
_HEADER_SCAN: Final = 10
#: What a ledger's totals line says in its first filled cell (compared without spaces).
_TOTALS: Final = frozenset({"合计", "总计", "小计", "总合计", "全部合计", "total", "totals", "sum"})


def _names_field(cell: Any) -> bool:
    return isinstance(cell, str) and bool(cell.strip()) and match_header(cell) is not None


def _text(cell: Any) -> str:
    return "" if _blank(cell) else str(cell).strip()


def two_line_names(upper: list[Any], lower: list[Any]) -> list[str]:
    """Column names of a header written on two lines, a group over its parts (位置 over
    经度 | 纬度, 面积 over 土地（亩） | 建筑（㎡）; merged cells leave the group's name in its
    first column only): the lower name when it names a field, else the lower name followed by
    its group's (``土地（亩）面积``), else the upper name (a header merged down, 编号)."""
    names: list[str] = []
    group = ""
    for j in range(max(len(upper), len(lower))):
        up = _text(upper[j]) if j < len(upper) else ""
        low = _text(lower[j]) if j < len(lower) else ""
        if up:
            group = up
        elif not low:
            group = ""
        if not low:
            names.append(up)
        elif _names_field(low) or not group:
            names.append(low)
        elif _names_field(low + group):
            names.append(low + group)
        else:
            names.append(low)
    return names


def header_position(top: list[list[Any]]) -> tuple[int, int]:
    """Where a spreadsheet's header is among its first lines: (position from 0, lines 1 or 2).

    The header is the line whose cells name the most canonical fields
    (:func:`~assetmatch.ingest.headers.match_header`), or two lines read together
    (:func:`two_line_names`) when they name more than either alone: a ledger (台账) puts a
    title, the reporting unit and units above its header, and groups columns under merged
    cells. A later line must name at least two fields; otherwise the first line is the header.
    """
    lines = [list(r) for r in top[:_HEADER_SCAN]]
    counts = [sum(_names_field(c) for c in r) for r in lines]
    best, best_n = (0, 1), -1
    for k, n in enumerate(counts):
        if n > best_n:
            best, best_n = (k, 1), n
        if k + 1 < len(lines):
            both = sum(_names_field(c) for c in two_line_names(lines[k], lines[k + 1]))
            if both > max(n, counts[k + 1], best_n):
                best, best_n = (k, 2), both
    return best if best_n >= 2 else (0, 1)


def _table_rows(df: pd.DataFrame, header_row: int) -> pd.DataFrame:
    """``df`` indexed by spreadsheet row number (its header on line ``header_row``, from 1),
    without the ledger's totals lines (noted in ``attrs``, see :func:`_totals_lines`)."""
    df.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(df), name="row")
    df.attrs["header_row"] = header_row
    totals = _totals_lines(df)
    if totals:
        df.attrs["totals_rows"] = totals
        attrs = dict(df.attrs)
        df = df.drop(index=[r for r, _ in totals])
        df.attrs.update(attrs)
    return df


def _totals_lines(df: pd.DataFrame) -> list[tuple[int, str]]:
    """(row, its word) of the lines whose first filled cell says 合计, 总计, Total…"""
    out = []
    for row, cells in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        first = next((c for c in cells if not _blank(c)), None)
        if isinstance(first, str) and "".join(first.split()).lower() in _TOTALS:
            out.append((int(row), first.strip()))
    return out


def _read_excel(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, int]:
    """The sheet as read, every cell as written (formula cells hold their cached values), and
    the line (from 1) of its header's last line."""
    name = sheet if sheet is not None else 0
    try:
        top = pd.read_excel(path, sheet_name=name, header=None, nrows=_HEADER_SCAN, dtype=object)
        at, n = header_position(top.values.tolist())
        if n == 1:
            df = pd.read_excel(path, sheet_name=name, header=at, dtype=object)
        else:
            every = pd.read_excel(path, sheet_name=name, header=None, dtype=object)
            df = _under_two_lines(every.values.tolist(), at)
    except (ValueError, KeyError, IndexError, zipfile.BadZipFile, OSError) as exc:
        raise SourceError(
            f"{path} cannot be read as an Excel workbook ({type(exc).__name__}: {exc}); save "
            "it again from Excel or WPS as .xlsx, or export the sheet as CSV"
        ) from exc
    if n == 2:
        df.attrs["header_lines"] = 2
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        df.attrs["formula_blanks"] = _formulas_without_values(
            path, sheet, at + n, [str(c) for c in df.columns]
        )
    return df, at + n


def _under_two_lines(rows: list[list[Any]], at: int) -> pd.DataFrame:
    """The table under a header on lines ``at`` and ``at + 1`` (from 0) of ``rows``, named
    by :func:`two_line_names` (a blank name as pandas names it, ``Unnamed: j``; a repeated
    one with ``.1``, ``.2``…)."""
    names = two_line_names(rows[at], rows[at + 1])
    seen: dict[str, int] = {}
    unique = []
    for j, nm in enumerate(names):
        nm = nm or f"Unnamed: {j}"
        k = seen.get(nm, 0)
        seen[nm] = k + 1
        unique.append(nm if k == 0 else f"{nm}.{k}")
    body = [list(r) + [None] * (len(unique) - len(r)) for r in rows[at + 2 :]]
    return pd.DataFrame(body, columns=unique, dtype=object)


def _formulas_without_values(
    path: Path, sheet: str | int | None, header_row: int = 1, names: list[str] | None = None
) -> list[tuple[int, str]]:
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
            if k < header_row:  # a title or notes above the header
                continue
            if k == header_row:
                header = names if names is not None else [str(c) for c in frow]
                continue
            for j, (f, v) in enumerate(zip(frow, vrow, strict=False)):
                if isinstance(f, str) and f.startswith("=") and v is None:
                    out.append((k, header[j] if j < len(header) else f"column {j + 1}"))
        return out
    finally:
        formulas.close()
        values.close()


def _read_csv(path: Path) -> tuple[pd.DataFrame, int]:
    """The table, every cell as text, and the line (from 1) of its header."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            with open(path, encoding=enc, newline="") as fh:
                top = list(itertools.islice(csv.reader(fh), _HEADER_SCAN))
            at, n = header_position(top)
            df = pd.read_csv(
                path,
                dtype=object,
                encoding=enc,
                keep_default_na=False,
                na_values=[""],
                skiprows=at,
                header=None if n == 2 else "infer",
            )
            if n == 2:
                df = _under_two_lines(df.values.tolist(), 0)
                df.attrs["header_lines"] = 2
            return df, at + n
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise SourceError(f"{path} has no header row: nothing to import") from None
        except (pd.errors.ParserError, csv.Error) as exc:
            raise SourceError(f"{path} is not a readable CSV table: {exc}") from None
    raise SourceError(f"{path}: not UTF-8 nor GB18030 text")
