"""Firm points prepared for context computations (:class:`FirmIndex`) and industry groups."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from .._errors import CRSError, Problem, ValidationError, wrong_type
from ..domain.industry import industry_division
from ._crs import _crs_name, _lonlat_crs, _projected_crs, _same_crs

logger = logging.getLogger(__name__)

#: Where firm coordinates come from: true positions, or a Chinese web map's offset lon/lat.
FIRMS_COORDS: Final = ("wgs84", "cgcs2000", "gcj02", "bd09")
_WEB_MAPS: Final = ("gcj02", "bd09")


# --------------------------------------------------------------------------------------------
# Firms


class FirmIndex:
    """Firm points prepared for context computations: projected, labelled and grid-sorted.

    Building one converts web-map coordinates, projects, validates the industry codes and sorts
    the points into a square grid; for 3 million firms that takes a few seconds (what a set of
    industries needs — each point's industry group, the positions of an industry's points and,
    once enough nearest-firm searches beyond the largest radius paid for it, a k-d tree over
    them — is added the first time it is needed and kept). Build it once
    with :meth:`build` and pass it as ``firms`` to :func:`context_features` and
    :func:`refresh_context` (an inventory keeps one per version of its firm table) so that
    refreshing one asset costs milliseconds. It is read-only; build a new one when firms change.

    Attributes
    ----------
    crs
        The projected CRS (metres) of the points — the assets' CRS.
    x, y
        Point coordinates in metres, in grid order.
    ordinal
        Position of each point in the firm table it was built from (ties between equally near
        firms go to the lowest ordinal).
    firm_id
        Firm id of each point (the ``firm_id`` column, else the table's index).
    category
        Index of each point's industry code in ``categories``.
    categories
        The distinct industry codes (upper case, sorted).
    """

    def __init__(
        self,
        *,
        crs: CRS,
        x: np.ndarray,
        y: np.ndarray,
        ordinal: np.ndarray,
        firm_id: np.ndarray,
        category: np.ndarray,
        categories: np.ndarray,
        grid: tuple[float, float, float, int, int],
    ) -> None:
        self.crs = crs
        self.categories = categories
        nx, ny = grid[3], grid[4]
        self._grid = grid
        key = self._keys(x, y)
        order = np.argsort(key, kind="stable")
        self.x = x[order]
        self.y = y[order]
        self.ordinal = ordinal[order]
        self.firm_id = firm_id[order]
        self.category = category[order]
        counts = np.bincount(key, minlength=nx * ny)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # label of every point for a set of groups of industry codes (first need; see
        # :meth:`_label_window`)
        self._point_labels: dict[bytes, np.ndarray] = {}
        # per set of industry codes (first need): positions of its points, a k-d tree over them
        # once enough nearest-firm searches beyond the largest radius paid for one, and how
        # many assets were searched by brute force so far
        self._members: dict[bytes, np.ndarray] = {}
        self._kdtrees: dict[bytes, cKDTree] = {}
        self._far_rows: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return (
            f"FirmIndex({len(self)} firms, {len(self.categories)} industry codes, "
            f"crs={_crs_name(self.crs)!r})"
        )

    @classmethod
    def build(
        cls,
        firms: gpd.GeoDataFrame,
        crs: Any,
        *,
        firms_coords: str = "wgs84",
        cell_size_m: float = 1000.0,
    ) -> FirmIndex:
        """Prepare a firm table for the assets' CRS.

        Parameters
        ----------
        firms
            Point GeoDataFrame with an ``industry`` column (GB/T 4754 codes, e.g. ``C19`` or
            ``C1921``) and optionally ``firm_id``.
        crs
            The assets' CRS, projected in metres.
        firms_coords
            Where the coordinates come from. Accepted combinations:

            * ``"wgs84"`` or ``"cgcs2000"`` (true positions): ``firms`` must be in ``crs``
              itself;
            * ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu): ``firms`` must be in
              longitude/latitude, EPSG:4326 or EPSG:4490; the points are converted to WGS 84
              with :func:`assetmatch.geo.webmap.to_wgs84`, then projected to ``crs``.

            Any other combination is a :class:`CRSError`.
        cell_size_m
            Grid cell size in metres (enlarged if the grid would exceed 4 million cells).

        Raises
        ------
        CRSError
            On a missing or mismatched CRS (both CRSs are named).
        ValidationError
            Listing every firm without a point geometry or with a bad industry code.
        """
        crs = _projected_crs(crs, "assets")
        if firms_coords not in FIRMS_COORDS:
            raise ValidationError(
                f"The 'firms_coords' parameter must be one of {FIRMS_COORDS}. "
                f"Got {firms_coords!r} instead."
            )
        if not isinstance(firms, gpd.GeoDataFrame):
            raise wrong_type("firms", "a GeoDataFrame", firms)
        problems: list[Problem] = []
        if "industry" not in firms.columns:
            raise ValidationError(
                "firms have no 'industry' column; expected GB/T 4754 codes such as 'C19'"
            )
        geoms = np.asarray(firms.geometry.array, dtype=object)
        type_id = shapely.get_type_id(geoms)
        bad = np.flatnonzero((type_id != 0) | shapely.is_empty(geoms))
        for i in bad:
            g = geoms[i]
            got = "nothing" if g is None or shapely.is_empty(g) else g.geom_type
            problems.append(Problem(firms.index[i], "geometry", f"expected a Point; got {got}"))
        category, categories, code_problems = _factorize_codes(firms["industry"])
        problems.extend(code_problems)
        if problems:
            raise ValidationError(f"firms: {len(problems)} problem(s)", problems)
        x = shapely.get_x(geoms).astype(float) if len(geoms) else np.empty(0)
        y = shapely.get_y(geoms).astype(float) if len(geoms) else np.empty(0)
        x, y = _firms_to_crs(x, y, firms.crs, crs, firms_coords)
        firm_id = (
            firms["firm_id"].to_numpy(dtype=object)
            if "firm_id" in firms.columns
            else firms.index.to_numpy(dtype=object)
        )
        grid = _grid_for(x, y, cell_size_m)
        index = cls(
            crs=crs,
            x=x,
            y=y,
            ordinal=np.arange(len(x), dtype=np.int64),
            firm_id=firm_id,
            category=category,
            categories=categories,
            grid=grid,
        )
        logger.info(
            "firm index: %d firms, %d industry codes, grid %d x %d cells of %.0f m",
            len(index),
            len(categories),
            grid[3],
            grid[4],
            grid[2],
        )
        return index

    def _keys(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x0, y0, cell, nx, ny = self._grid
        ix = np.clip(((x - x0) // cell).astype(np.int64), 0, nx - 1)
        iy = np.clip(((y - y0) // cell).astype(np.int64), 0, ny - 1)
        return iy * nx + ix

    def window(self, xmin: float, ymin: float, xmax: float, ymax: float) -> np.ndarray:
        """Positions (ascending, i.e. in grid order) of the points inside a box, edges included."""
        x0, y0, cell, nx, ny = self._grid
        if len(self.x) == 0:
            return np.empty(0, dtype=np.int64)
        ix0 = max(int((xmin - x0) // cell), 0)
        ix1 = min(int((xmax - x0) // cell), nx - 1)
        iy0 = max(int((ymin - y0) // cell), 0)
        iy1 = min(int((ymax - y0) // cell), ny - 1)
        if ix0 > ix1 or iy0 > iy1:
            return np.empty(0, dtype=np.int64)
        rows = np.arange(iy0, iy1 + 1, dtype=np.int64) * nx
        starts = self._offsets[rows + ix0]
        ends = self._offsets[rows + ix1 + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        pos = np.arange(total, dtype=np.int64) + shift
        px, py = self.x[pos], self.y[pos]
        keep = (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax)
        return pos[keep]

    def _label_window(
        self, xmin: float, ymin: float, xmax: float, ymax: float, labels: _Labels
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (point, label) pairs of the points inside a box, edges included, by label.

        Returns point positions, x, y, and the number of pairs of each label. Within a label,
        points come in grid order, so in the same relative order whatever the box.
        """
        x0, y0, cell, nx, ny = self._grid
        empty = np.empty(0, dtype=np.int64)
        ix0 = max(int((xmin - x0) // cell), 0)
        ix1 = min(int((xmax - x0) // cell), nx - 1)
        iy0 = max(int((ymin - y0) // cell), 0)
        iy1 = min(int((ymax - y0) // cell), ny - 1)
        if not len(self.x) or ix0 > ix1 or iy0 > iy1:
            return empty, np.empty(0), np.empty(0), np.zeros(labels.n, dtype=np.int64)
        rows = np.arange(iy0, iy1 + 1, dtype=np.int64) * nx
        starts = self._offsets[rows + ix0]
        lengths = self._offsets[rows + ix1 + 1] - starts
        ends = np.cumsum(lengths)
        pos = np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(starts - ends + lengths, lengths)
        px, py = self.x[pos], self.y[pos]
        outside = (px < xmin) | (px > xmax) | (py < ymin) | (py > ymax)
        if labels.single:
            lab = self._labels_of(labels)[pos]  # int16, labels.n for no label
            lab[outside] = labels.n
            order = np.argsort(lab, kind="stable")  # small integers: a radix sort
            sizes = np.bincount(lab, minlength=labels.n + 1)[: labels.n]
            order = order[: int(sizes.sum())]
        else:  # a point may belong to several labels
            inside = np.flatnonzero(~outside)
            fi, lab = np.nonzero(labels.member[self.category[pos[inside]]])
            lab = lab.astype(np.int16)
            order = inside[fi[np.argsort(lab, kind="stable")]]
            sizes = np.bincount(lab, minlength=labels.n)
        return pos[order], px[order], py[order], sizes.astype(np.int64)

    def _labels_of(self, labels: _Labels) -> np.ndarray:
        """Label of every point (int16; ``labels.n`` for none) when labels do not overlap."""
        key = np.packbits(labels.member).tobytes() + labels.member.shape[1].to_bytes(4, "little")
        if key not in self._point_labels:
            lut = np.full(len(self.categories), labels.n, dtype=np.int16)
            cat, lab = np.nonzero(labels.member)
            lut[cat] = lab
            self._point_labels[key] = lut[self.category]
        return self._point_labels[key]

    def _member_positions(self, member: np.ndarray) -> tuple[bytes, np.ndarray]:
        """Cache key and positions (grid order) of the points whose category is in ``member``."""
        key = np.packbits(member).tobytes()
        if key not in self._members:
            self._members[key] = (
                np.flatnonzero(member[self.category]) if len(self) else np.empty(0, np.int64)
            )
        return key, self._members[key]

    def subset(self, positions: np.ndarray) -> FirmIndex:
        """A smaller index of the given positions, on the same grid (same point order)."""
        positions = np.sort(np.asarray(positions, dtype=np.int64))
        return FirmIndex(
            crs=self.crs,
            x=self.x[positions],
            y=self.y[positions],
            ordinal=self.ordinal[positions],
            firm_id=self.firm_id[positions],
            category=self.category[positions],
            categories=self.categories,
            grid=self._grid,
        )


def _factorize_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Category index per row, the sorted distinct codes, and problems for bad codes."""
    raw, uniques = pd.factorize(values, use_na_sentinel=True)
    clean = np.array([str(u).strip().upper() for u in uniques], dtype=object)
    problems: list[Problem] = []
    valid = np.ones(len(clean), dtype=bool)
    if len(clean):
        try:
            industry_division(clean)
        except ValidationError as exc:
            for p in exc.problems:
                valid[int(p.row)] = False
    for i in np.flatnonzero(raw < 0):
        problems.append(Problem(values.index[i], "industry", "missing industry code"))
    if not valid.all():
        bad_rows = np.flatnonzero(np.isin(raw, np.flatnonzero(~valid)))
        for i in bad_rows:
            problems.append(
                Problem(
                    values.index[i],
                    "industry",
                    f"{values.iloc[i]!r} is not a GB/T 4754 code; expected a section letter "
                    "A–T followed by 2–4 digits, such as 'C19' or 'C1921'",
                )
            )
    categories = np.array(sorted(set(clean[valid])), dtype=object)
    lut = np.searchsorted(categories, clean) if len(categories) else np.zeros(len(clean), int)
    category = np.where(raw >= 0, lut[np.maximum(raw, 0)] if len(lut) else 0, 0)
    return category.astype(np.int32), categories, problems


def _firms_to_crs(
    x: np.ndarray, y: np.ndarray, firms_crs: Any, crs: CRS, firms_coords: str
) -> tuple[np.ndarray, np.ndarray]:
    if firms_crs is None:
        raise CRSError(
            "firms have no CRS. Set the CRS their coordinates are in with .set_crs(...); "
            "longitude/latitude taken from Amap or Baidu also need firms_coords='gcj02' or "
            "'bd09'."
        )
    fcrs = CRS.from_user_input(firms_crs)
    if firms_coords in _WEB_MAPS:
        if not _lonlat_crs(fcrs):
            raise CRSError(
                f"firms_coords={firms_coords!r} needs firms in longitude/latitude (EPSG:4326 or "
                f"EPSG:4490), because web-map offsets apply to lon/lat; got firms in "
                f"{_crs_name(fcrs)}. Give the firms the lon/lat read from the web map."
            )
        from ..geo.webmap import to_wgs84

        lon, lat = to_wgs84(x, y, firms_coords)
        transformer = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
        px, py = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
        logger.info(
            "firms: %d points converted from %s to WGS 84 and projected to %s",
            len(x),
            firms_coords,
            _crs_name(crs),
        )
        return np.asarray(px, float), np.asarray(py, float)
    if not _same_crs(fcrs, crs):
        hint = (
            " If their lon/lat came from a Chinese web map, pass firms_coords='gcj02' (Amap, "
            "Tencent) or 'bd09' (Baidu) and they are converted and projected for you."
            if _lonlat_crs(fcrs)
            else ""
        )
        raise CRSError(
            f"CRS mismatch: firms are in {_crs_name(fcrs)} but assets are in {_crs_name(crs)}. "
            f"Project the firms with firms.to_crs(assets.crs).{hint}"
        )
    return x, y


def _grid_for(x: np.ndarray, y: np.ndarray, cell: float) -> tuple[float, float, float, int, int]:
    if len(x) == 0:
        return (0.0, 0.0, float(cell), 1, 1)
    x0, y0 = math.floor(float(x.min())), math.floor(float(y.min()))
    width, height = float(x.max()) - x0, float(y.max()) - y0
    cell = float(cell)
    while (width / cell + 1) * (height / cell + 1) > 4_000_000:
        cell *= 2
    nx = int(width // cell) + 1
    ny = int(height // cell) + 1
    return (float(x0), float(y0), cell, nx, ny)


# --------------------------------------------------------------------------------------------
# Industry labels


@dataclass(frozen=True)
class _Labels:
    """Industry groups computed for one call: codes and which firm categories they contain."""

    codes: tuple[str, ...]  # output industries first, then conflict-only codes
    n_out: int  # how many of ``codes`` get n_/nearest_/presence_ columns
    member: np.ndarray  # (n_categories, n_codes) bool: category belongs to the group
    single: bool  # every category is in at most one group (and there are < 32767 groups)

    @property
    def n(self) -> int:
        return len(self.codes)

    def index(self, code: str) -> int:
        return self.codes.index(code)


def _labels(
    categories: np.ndarray,
    industries: Sequence[str] | None,
    level: str,
    extra: Sequence[str],
) -> _Labels:
    if industries is None:
        if level == "division":
            out = sorted({str(c)[:3] for c in categories})
        else:
            out = sorted(str(c) for c in categories)
    else:
        if isinstance(industries, str):
            industries = [industries]
        if not isinstance(industries, Iterable):
            raise wrong_type("industries", "a list of industry codes", industries)
        out = [str(c).strip().upper() for c in industries]
        industry_division(out)  # validates
        if len(set(out)) != len(out):
            raise ValidationError(f"The 'industries' parameter has duplicates: {out}")
    codes = tuple(out) + tuple(c for c in dict.fromkeys(extra) if c not in out)
    cats = np.asarray(categories, dtype=str)
    member = np.zeros((len(cats), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        member[:, j] = np.char.startswith(cats, code) if len(cats) else False
        if j >= len(out) and len(cats):
            # a conflict rule's code (C221 pulp) also counts firms recorded only at a coarser
            # level that may belong to it (C22): unknown is not "no pulp mill"
            member[:, j] |= np.array([code.startswith(c) for c in cats.tolist()], dtype=bool)
    single = bool((member.sum(axis=1) <= 1).all()) and len(codes) < 2**15 - 1
    return _Labels(codes=codes, n_out=len(out), member=member, single=single)
