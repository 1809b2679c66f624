"""Per-asset context features: nearby industries, conflicts and accessibility.

Geometry becomes numbers here, once. :func:`context_features` turns assets (parcel polygons or
points) and firm points into one row of plain numbers per asset; scoring and matching then work
on those columns without shapely. :func:`refresh_context` keeps such a table current when assets
or firms change, recomputing only the rows an edit can affect.

Columns (``{ind}`` an industry code such as ``C19``, ``{r}`` a radius in whole metres, e.g.
``n_C19_1000m``):

``centroid_x``, ``centroid_y``
    The parcel's centroid in the assets' projected CRS (metres).
``equiv_radius_m``
    ``sqrt(area / pi)``, the radius of the disk with the parcel's area (0 for a point asset).
``n_{ind}_{r}m`` (int32)
    Firms of the industry whose distance to the parcel is at most ``r`` metres (``d <= r``: a
    firm exactly at ``r`` is counted). The distance is from the firm point to the parcel
    polygon — 0 inside, else to the nearest point of the boundary — as :func:`shapely.distance`
    computes it, so a firm 200 m outside a 600 m-wide parcel is 200 m away, not 500 m.
``nearest_{ind}_m`` (float64)
    Distance from the parcel to the nearest firm of the industry, exact, however far;
    ``inf`` when the firm table has no firm of that industry at all.
``presence_{ind}`` (float64)
    Distance-decayed presence, what :func:`assetmatch.domain.industry.synergy_scores` uses:
    ``sum over firms f with d_f <= max(radii_m) of exp(-(l_f / h) ** 2)``, ``h`` =
    ``kernel_bandwidth_m``. ``l_f`` is the distance from the firm to the parcel's minimum
    rotated rectangle (GEOS's, widened by the fraction of a millimetre it may miss a vertex by
    through rounding, so that it holds the parcel): equal to the boundary distance ``d_f`` for
    rectangular parcels and points (up to that), and within the rectangle's gap
    (``l_f <= d_f <= l_f + gap``) otherwise. A firm in or at the parcel weighs 1, one at ``h``
    weighs ``e**-1`` (0.37), at ``2h`` 0.018.
``access_{layer}_m`` (float64)
    Straight-line distance from the parcel to the nearest feature of each reference layer
    (``inf`` for an empty layer).
``conflict_{code}_nearest_m``, ``conflict_{code}_nearest_firm``
    For every industry code named in the conflict rules (source or sensitive side): distance
    to the nearest firm of that industry (as ``nearest_*``) and that firm's id (``None`` when
    there is none).
``breach_{use}_near_{other}`` (bool)
    One flag per ordered pair of a conflict rule ``(source, sensitive, min_distance_m)``:
    ``breach_{sensitive}_near_{source}`` is true when the parcel lies closer than
    ``min_distance_m`` (strictly less) to a firm of ``source`` — the site cannot host the
    sensitive use — and ``breach_{source}_near_{sensitive}`` when it lies that close to a firm
    (or, for a use name such as ``residential``, a feature of the reference layer of that name)
    of the sensitive use — the site cannot host the source industry. The reverse flag of a use
    name is only produced when ``layers`` has that layer. Two rules giving the same flag keep the
    larger distance.
``conflicts_breached`` (int16)
    Number of true ``breach_*`` flags of the row.

The result also carries ``attrs["context_params"]`` (the parameters) and
``attrs["computed_at"]`` (UTC ISO time).

How it is computed: firms are expanded into (point, industry) pairs and sorted into a grid
(:class:`FirmIndex`). Assets are grouped into spatial tiles, a quadtree of squares no larger
than the largest radius, split down to a quarter of it while a tile holds more than 64 assets.
For each tile, the firms within the tile's box plus the largest radius (sorted by industry) are
compared with each parcel's minimum rotated rectangle in dense, vectorised NumPy blocks, in
reused scratch arrays; this gives a lower bound ``l`` and an upper bound ``l + gap`` of the
exact distance (the gap is the largest distance from a point of the rectangle to the parcel,
bounded once per parcel). Counts and presence take the pairs surely within a radius directly.
Only pairs whose bounds straddle a radius, and the few candidates for the nearest firm, get an
exact look, a few hundred assets' worth at a time: a NumPy point-to-segment distance over the
parcel's rings with a ray-crossing inside test, trusted where it is farther than its tolerance
(a millimetre, more for huge coordinates) from the radius and from the boundary of a valid
parcel; the rest, and every nearest distance reported, are measured with
:func:`shapely.distance`. Nearest firms not found within the largest radius are searched among
the firms of that industry by brute force, or with a :class:`scipy.spatial.cKDTree` kept in
the :class:`FirmIndex` once enough searches paid for it. Memory stays bounded by the tile
blocks; no Python loop runs over assets except the tile loop. Every per-asset number depends
only on that asset and the firms, never on how assets were tiled or partitioned (per pair the
same operations; presence sums only the pairs within the largest radius, in grid order), so
the dask engine, threads and :func:`refresh_context` give bit-for-bit the same values.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from .._errors import CRSError, Problem, UnknownAssetError, ValidationError
from ..domain.industry import ConflictRule, default_conflicts, industry_division, load_conflicts

__all__ = ["FIRMS_COORDS", "FirmIndex", "context_features", "refresh_context"]

logger = logging.getLogger(__name__)

#: Where firm coordinates come from: true positions, or a Chinese web map's offset lon/lat.
FIRMS_COORDS: Final = ("wgs84", "cgcs2000", "gcj02", "bd09")
_WEB_MAPS: Final = ("gcj02", "bd09")

#: Safety margin (metres) added to every bound so float rounding never decides a count.
_EPS_M: Final = 1e-3
#: Dense (asset, firm) pairs handled in one NumPy block.
_PAIR_BUDGET: Final = 262_144
#: Largest number of assets in one spatial tile.
_TILE_ASSETS: Final = 64
#: Grid samples per side used to bound the gap of a non-convex parcel.
_GAP_SAMPLES: Final = 17
#: Segment evaluations in one piece of :func:`_boundary_distance`.
_SEGMENT_BUDGET: Final = 32_768
#: Assets in one task of the thread pool (its tiles, then their exact look).
_TASK_ASSETS: Final = 256
#: Pairs left for an exact look that :func:`_refine` settles at once.
_REFINE_PAIRS: Final = 131_072
#: Relative precision granted to a NumPy point-to-parcel distance against GEOS's (times the
#: coordinates' magnitude; actual rounding errors are below 1e-14 of it).
_REL_TOL: Final = 1e-9
#: Assets searched by brute force for their nearest firm of one industry beyond the largest
#: radius before a k-d tree over that industry's firms is built (and kept in the FirmIndex).
_FAR_TREE_ROWS: Final = 64

ProgressCallback = Callable[[int, int], None]
ConflictsLike = pd.DataFrame | str | Iterable[ConflictRule] | None


# --------------------------------------------------------------------------------------------
# CRS checks


def _crs_name(crs: CRS) -> str:
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]} ({crs.name})" if auth else crs.name


def _projected_crs(crs: Any, what: str) -> CRS:
    """The CRS of ``what`` if it is projected in metres, else a :class:`CRSError`."""
    if crs is None:
        raise CRSError(
            f"{what} have no CRS. Set the CRS they are in with .set_crs(...), then project them "
            "to a CRS in metres, e.g. .to_crs('EPSG:4549') (CGCS2000 / 3-degree Gauss-Kruger "
            "CM 120E) for Quanzhou."
        )
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        raise CRSError(
            f"{what} are in a geographic CRS, {_crs_name(crs)}, in degrees; distances need a "
            f"projected CRS in metres. Project them first, e.g. {what}.to_crs('EPSG:4549') "
            "(CGCS2000 / 3-degree Gauss-Kruger CM 120E) for Quanzhou."
        )
    units = {ax.unit_name for ax in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        raise CRSError(
            f"{what} must be in a projected CRS in metres; got {_crs_name(crs)} with units "
            f"{sorted(units)}."
        )
    return crs


def _same_crs(a: CRS, b: CRS) -> bool:
    return a == b or a.equals(b, ignore_axis_order=True)


def _lonlat_crs(crs: CRS) -> bool:
    return any(_same_crs(crs, CRS.from_epsg(code)) for code in (4326, 4490))


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
            raise ValueError(
                f"The 'firms_coords' parameter must be one of {FIRMS_COORDS}. "
                f"Got {firms_coords!r} instead."
            )
        if not isinstance(firms, gpd.GeoDataFrame):
            raise TypeError(f"firms must be a GeoDataFrame; got {type(firms).__name__}")
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
        out = [str(c).strip().upper() for c in industries]
        industry_division(out)  # validates
        if len(set(out)) != len(out):
            raise ValueError(f"The 'industries' parameter has duplicates: {out}")
    codes = tuple(out) + tuple(c for c in dict.fromkeys(extra) if c not in out)
    cats = np.asarray(categories, dtype=str)
    member = np.zeros((len(cats), len(codes)), dtype=bool)
    for j, code in enumerate(codes):
        member[:, j] = np.char.startswith(cats, code) if len(cats) else False
    single = bool((member.sum(axis=1) <= 1).all()) and len(codes) < 2**15 - 1
    return _Labels(codes=codes, n_out=len(out), member=member, single=single)


# --------------------------------------------------------------------------------------------
# Assets


@dataclass
class _Assets:
    """Assets as numbers: ids, geometries, centroid, area and minimum rotated rectangle."""

    ids: pd.Index
    geoms: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    area: np.ndarray
    ox: np.ndarray  # rectangle centre
    oy: np.ndarray
    cos: np.ndarray  # rectangle axis direction
    sin: np.ndarray
    hu: np.ndarray  # half sides along and across the axis
    hv: np.ndarray
    gap: np.ndarray  # sup over the rectangle of the distance to the parcel
    reach: np.ndarray  # largest distance from the rectangle centre to the rectangle
    sx0: np.ndarray  # boundary segments (x0, y0) -> (x0 + bx, y0 + by) = (x1, y1) of every
    sy0: np.ndarray  # ring, asset by asset; a point asset has one segment of length 0
    sy1: np.ndarray
    sbx: np.ndarray
    sby: np.ndarray
    sil: np.ndarray  # 1 / (bx**2 + by**2), 0 for a segment of length 0
    seg_off: np.ndarray  # (n + 1,) the segments of asset i are seg_off[i]:seg_off[i + 1]
    trusted: np.ndarray  # NumPy distances may stand in for GEOS's (point or valid polygon)

    def __len__(self) -> int:
        return len(self.ids)


def _asset_ids(assets: gpd.GeoDataFrame) -> pd.Index:
    if assets.index.name == "asset_id":
        ids = pd.Index(assets.index, name="asset_id")
    elif "asset_id" in assets.columns:
        ids = pd.Index(assets["asset_id"], name="asset_id")
    else:
        raise ValidationError(
            "assets need an 'asset_id' column or an index named 'asset_id'; got columns "
            f"{list(assets.columns)[:20]} and index {assets.index.name!r}"
        )
    return ids


def _check_assets(
    assets: gpd.GeoDataFrame, known: pd.Index | None = None
) -> tuple[pd.Index, np.ndarray, CRS, bool]:
    """Ids, geometries and CRS of the assets, validated.

    When ``known`` (a context's index) holds exactly the same ids in the same order, the ids
    are trusted and geometries are left to be checked for the rows that get recomputed; the
    last value returned says so.
    """
    if not isinstance(assets, gpd.GeoDataFrame):
        raise TypeError(f"assets must be a GeoDataFrame; got {type(assets).__name__}")
    crs = _projected_crs(assets.crs, "assets")
    ids = _asset_ids(assets)
    geoms = np.asarray(assets.geometry.array, dtype=object)
    same = known is not None and len(known) == len(ids) and known.equals(ids)
    if same:
        return ids, geoms, crs, True
    problems: list[Problem] = []
    missing = np.asarray(ids.isna())
    for i in np.flatnonzero(missing):
        problems.append(Problem(assets.index[i], "asset_id", "missing asset id"))
    dup = ids[~missing].duplicated(keep="first")
    for v in pd.unique(ids[~missing][dup]):
        problems.append(Problem(v, "asset_id", "asset id appears more than once"))
    problems += _geometry_problems(ids, geoms, np.arange(len(ids)))
    if problems:
        raise ValidationError(f"assets: {len(problems)} problem(s)", problems)
    return ids, geoms, crs, False


def _geometry_problems(ids: pd.Index, geoms: np.ndarray, rows: np.ndarray) -> list[Problem]:
    sub = geoms[rows]
    type_id = shapely.get_type_id(sub)
    bad = np.flatnonzero(~np.isin(type_id, (0, 3, 6)) | shapely.is_empty(sub))
    problems = []
    for i in bad:
        g = sub[i]
        got = "nothing" if g is None or shapely.is_empty(g) else g.geom_type
        problems.append(
            Problem(
                ids[rows[i]], "geometry", f"expected a Polygon, MultiPolygon or Point; got {got}"
            )
        )
    return problems


def _prepare_assets(ids: pd.Index, geoms: np.ndarray) -> _Assets:
    n = len(geoms)
    centroid = shapely.centroid(geoms)
    cx, cy = shapely.get_x(centroid), shapely.get_y(centroid)
    area = shapely.area(geoms)
    is_point = shapely.get_type_id(geoms) == 0
    ox, oy = cx.copy(), cy.copy()
    cos, sin = np.ones(n), np.zeros(n)
    hu, hv = np.zeros(n), np.zeros(n)
    poly = np.flatnonzero(~is_point)
    if len(poly):
        rect = shapely.oriented_envelope(geoms[poly])
        ok = (shapely.get_type_id(rect) == 3) & (shapely.get_num_coordinates(rect) == 5)
        if ok.any():
            c = shapely.get_coordinates(rect[ok]).reshape(-1, 5, 2)
            e1 = c[:, 1] - c[:, 0]
            e2 = c[:, 2] - c[:, 1]
            len1 = np.hypot(e1[:, 0], e1[:, 1])
            len2 = np.hypot(e2[:, 0], e2[:, 1])
            idx = poly[ok]
            ox[idx] = (c[:, 0, 0] + c[:, 2, 0]) / 2
            oy[idx] = (c[:, 0, 1] + c[:, 2, 1]) / 2
            good = len1 > 0
            cos[idx] = np.where(good, e1[:, 0] / np.where(good, len1, 1), 1.0)
            sin[idx] = np.where(good, e1[:, 1] / np.where(good, len1, 1), 0.0)
            hu[idx] = len1 / 2
            hv[idx] = len2 / 2
        if (~ok).any():  # degenerate parcels: the axis-aligned box
            idx = poly[~ok]
            b = shapely.bounds(geoms[idx])
            ox[idx] = (b[:, 0] + b[:, 2]) / 2
            oy[idx] = (b[:, 1] + b[:, 3]) / 2
            hu[idx] = (b[:, 2] - b[:, 0]) / 2
            hv[idx] = (b[:, 3] - b[:, 1]) / 2
    (sx0, sy0, sx1, sy1), seg_off, trusted = _segments(geoms, is_point, cx, cy)
    sbx, sby = sx1 - sx0, sy1 - sy0
    len2 = sbx * sbx + sby * sby
    sil = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
    A = _Assets(
        ids=ids,
        geoms=geoms,
        cx=cx,
        cy=cy,
        area=area,
        ox=ox,
        oy=oy,
        cos=cos,
        sin=sin,
        hu=hu,
        hv=hv,
        gap=np.zeros(n),
        reach=np.hypot(hu, hv),
        sx0=sx0,
        sy0=sy0,
        sy1=sy1,
        sbx=sbx,
        sby=sby,
        sil=sil,
        seg_off=seg_off,
        trusted=trusted,
    )
    if len(poly):
        # GEOS's rectangle can miss a vertex by a fraction of a millimetre (rounding): widen it
        # to hold every vertex as the dense blocks compute it, so that it bounds the parcel
        cnt = np.diff(seg_off)
        owner = np.repeat(np.arange(n), cnt)
        dx, dy = sx0 - ox[owner], sy0 - oy[owner]
        u = np.abs(dx * cos[owner] + dy * sin[owner])
        v = np.abs(dy * cos[owner] - dx * sin[owner])
        np.maximum(hu, np.maximum.reduceat(u, seg_off[:-1]), out=hu)
        np.maximum(hv, np.maximum.reduceat(v, seg_off[:-1]), out=hv)
        A.reach = np.hypot(hu, hv)
        A.gap[poly] = _rectangle_gap(A, poly)
    return A


def _segments(
    geoms: np.ndarray, is_point: np.ndarray, px: np.ndarray, py: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Boundary segments of every asset (see :class:`_Assets`) and which assets are trusted."""
    n = len(geoms)
    trusted = np.ones(n, dtype=bool)
    poly = np.flatnonzero(~is_point)
    pts = np.flatnonzero(is_point)
    owner = [pts]
    x0, y0, x1, y1 = [px[pts]], [py[pts]], [px[pts]], [py[pts]]
    if len(poly):
        trusted[poly] = shapely.is_valid(geoms[poly])
        parts, pidx = shapely.get_parts(geoms[poly], return_index=True)
        rings, ridx = shapely.get_rings(parts, return_index=True)
        xy, cidx = shapely.get_coordinates(rings, return_index=True)
        same = cidx[1:] == cidx[:-1]  # consecutive vertices of one ring
        owner.append(poly[pidx[ridx[cidx[:-1][same]]]])
        x0.append(xy[:-1, 0][same])
        y0.append(xy[:-1, 1][same])
        x1.append(xy[1:, 0][same])
        y1.append(xy[1:, 1][same])
    own = np.concatenate(owner)
    order = np.argsort(own, kind="stable")
    segs = tuple(np.ascontiguousarray(np.concatenate(c)[order]) for c in (x0, y0, x1, y1))
    seg_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(own, minlength=n), out=seg_off[1:])
    return segs, seg_off, trusted


def _rectangle_gap(A: _Assets, idx: np.ndarray) -> np.ndarray:
    """Upper bound of ``max over x in rectangle of distance(x, parcel)`` for the parcels ``idx``.

    For a convex parcel the distance to it is a convex function, so its maximum over the
    rectangle is at a corner. Otherwise the rectangle is sampled on a grid and the half cell
    diagonal is added (the distance is 1-Lipschitz), which bounds it from above. Distances are
    upper bounds from :func:`_distance_upper` (at most a few millimetres above the exact ones).
    """
    geoms = A.geoms[idx]
    hull = shapely.area(shapely.convex_hull(geoms))
    convex = (hull - shapely.area(geoms)) <= 1e-9 * np.maximum(hull, 1.0)
    ox, oy, cos, sin = A.ox[idx], A.oy[idx], A.cos[idx], A.sin[idx]
    hu, hv = A.hu[idx], A.hv[idx]
    gap = np.zeros(len(idx))
    for mask, su, sv, extra in _gap_samplers(convex, hu, hv):
        sel = np.flatnonzero(mask)
        if not len(sel):
            continue
        k = su.size
        px = (
            ox[sel, None]
            + su[None, :] * hu[sel, None] * cos[sel, None]
            - sv[None, :] * hv[sel, None] * sin[sel, None]
        )
        py = (
            oy[sel, None]
            + su[None, :] * hu[sel, None] * sin[sel, None]
            + sv[None, :] * hv[sel, None] * cos[sel, None]
        )
        d = _distance_upper(A, np.repeat(idx[sel], k), px.ravel(), py.ravel())
        gap[sel] = d.reshape(-1, k).max(axis=1) + extra(sel)
    return gap


def _gap_samplers(
    convex: np.ndarray, hu: np.ndarray, hv: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]]:
    corners_u = np.array([-1.0, 1.0, 1.0, -1.0])
    corners_v = np.array([-1.0, -1.0, 1.0, 1.0])
    t = np.linspace(-1.0, 1.0, _GAP_SAMPLES)
    grid_u, grid_v = (a.ravel() for a in np.meshgrid(t, t))
    step = 2.0 / (_GAP_SAMPLES - 1)

    def no_extra(idx: np.ndarray) -> np.ndarray:
        return np.zeros(len(idx))

    def half_diagonal(idx: np.ndarray) -> np.ndarray:
        return 0.5 * np.hypot(step * hu[idx], step * hv[idx])

    return [
        (convex, corners_u, corners_v, no_extra),
        (~convex, grid_u, grid_v, half_diagonal),
    ]


# --------------------------------------------------------------------------------------------
# Point-to-parcel distances


def _boundary_distance(
    A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray, test_inside: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy distance from each point ``(px, py)`` to the boundary of its parcel ``a``.

    Returns ``(boundary, inside, tol)``: the smallest distance to the segments of the
    parcel's rings, within ``tol`` of what GEOS computes for those segments; whether an odd
    number of rings cross the ray from the point towards +x, which is GEOS's "inside" for a
    valid parcel when the point is farther than ``tol`` from the boundary (all false without
    ``test_inside``); and ``tol``, a millimetre plus 1e-9 of the coordinates' magnitude
    (rounding errors are below 1e-13 of it).
    """
    cnt = A.seg_off[a + 1] - A.seg_off[a]  # >= 1 for every asset
    ends = np.cumsum(cnt)
    if len(a) > 1 and ends[-1] > _SEGMENT_BUDGET:  # in pieces of bounded memory
        cut = np.searchsorted(ends, np.arange(_SEGMENT_BUDGET, ends[-1], _SEGMENT_BUDGET))
        cut = np.unique(np.clip(cut, 1, len(a) - 1))
        pieces = [
            _boundary_distance(A, a[i:j], px[i:j], py[i:j], test_inside)
            for i, j in zip(np.r_[0, cut], np.r_[cut, len(a)], strict=True)
        ]
        return tuple(np.concatenate(c) for c in zip(*pieces, strict=True))  # type: ignore
    tol = _EPS_M + _REL_TOL * (
        np.abs(px) + np.abs(py) + np.abs(A.ox[a]) + np.abs(A.oy[a]) + A.reach[a]
    )
    if not len(a):
        return np.empty(0), np.zeros(0, dtype=bool), tol
    first = ends - cnt
    seg = np.arange(int(ends[-1]), dtype=np.int64) + np.repeat(A.seg_off[a] - first, cnt)
    qx, qy = np.repeat(px, cnt), np.repeat(py, cnt)
    x0, y0, bx, by = A.sx0[seg], A.sy0[seg], A.sbx[seg], A.sby[seg]
    ax, ay = qx - x0, qy - y0
    # nearest point of the segment: x0 + t * b, t = clip(a . b / |b|**2, 0, 1)
    t = ax * bx
    t += ay * by
    t *= A.sil[seg]
    np.clip(t, 0.0, 1.0, out=t)
    dx = ax - t * bx
    dy = ay - t * by
    dx *= dx
    dy *= dy
    dx += dy
    boundary = np.sqrt(np.minimum.reduceat(dx, first))
    if not test_inside:
        return boundary, np.zeros(len(a), dtype=bool), tol
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ((y0 > qy) != (A.sy1[seg] > qy)) & (qx < x0 + ay * bx / by)
    inside = (np.add.reduceat(cross, first, dtype=np.int64) & 1).astype(bool)
    return boundary, inside, tol


def _distance_upper(A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """An upper bound of ``shapely.distance`` from each point to its parcel, without shapely.

    GEOS gives 0 inside and the smallest segment distance elsewhere, never more than that.
    """
    boundary, inside, tol = _boundary_distance(A, a, px, py)
    sure_in = inside & (boundary > tol) & A.trusted[a]
    return np.where(sure_in, 0.0, boundary) + tol


def _distance_estimate(
    A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray, l2: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances from the points ``(px, py)`` to the parcels ``a``, as shapely measures them.

    Returns ``(d, tol, exact)``: ``d`` is within ``tol`` of :func:`shapely.distance` and equal
    to it where ``exact``. ``d`` comes from :func:`_boundary_distance`: 0 for a point inside
    the parcel, else the distance to its boundary. Those are trusted only for a point farther
    than ``tol`` from the boundary of a valid parcel; every other pair (on or next to the
    boundary, or an invalid parcel) is measured with shapely. Exact are those and the points
    inside, whose distance is 0 for GEOS too. ``l2``, the squared distance to the parcel's
    rectangle when known, spares the inside test of the points outside the rectangle (a
    parcel point farther than ``tol`` from the boundary is well inside the rectangle).
    """
    if l2 is None:
        boundary, inside, tol = _boundary_distance(A, a, px, py)
    else:
        boundary, inside, tol = _boundary_distance(A, a, px, py, test_inside=False)
        test = np.flatnonzero(l2 <= 0.0)
        if len(test):
            inside[test] = _boundary_distance(A, a[test], px[test], py[test])[1]
    est = np.where(inside, 0.0, boundary)
    unsure = (boundary <= tol) | ~A.trusted[a]
    exact = inside & ~unsure
    _measure(A, a, px, py, est, exact, unsure)
    return est, tol, exact


def _measure(
    A: _Assets,
    a: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    est: np.ndarray,
    exact: np.ndarray,
    mask: np.ndarray,
) -> None:
    """Replace the estimates of the pairs in ``mask`` that are not exact by shapely's values."""
    todo = np.flatnonzero(mask & ~exact)
    if len(todo):
        est[todo] = shapely.distance(shapely.points(px[todo], py[todo]), A.geoms[a[todo]])
        exact[todo] = True


def _pick_nearest(
    A: _Assets,
    F: FirmIndex,
    a: np.ndarray,
    firm: np.ndarray,
    key: np.ndarray,
    est: np.ndarray,
    tol: np.ndarray,
    exact: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest firm of every group of candidate pairs, by shapely's distance.

    Pairs (asset ``a``, firm position ``firm``) come grouped by ``key`` (the pairs of a key
    consecutive); the candidates that can still be nearest given the estimates (lower bound
    at most the group's best upper bound) are measured with shapely, ties go to the lowest firm
    ordinal. Returns the keys, distances and firm positions, one per group.
    """
    if not len(key):
        return key, est, firm
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    slack = np.where(exact, 0.0, tol)
    best = np.minimum.reduceat(est + slack, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(key)]))
    fin = np.flatnonzero(est - slack <= best[group])
    a, firm, key, est, exact = a[fin], firm[fin], key[fin], est[fin], exact[fin]
    _measure(A, a, F.x[firm], F.y[firm], est, exact, np.ones(len(fin), dtype=bool))
    order = np.lexsort((F.ordinal[firm], est, key))
    key, est, firm = key[order], est[order], firm[order]
    first = np.r_[True, key[1:] != key[:-1]]
    return key[first], est[first], firm[first]


# --------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class _Spec:
    radii: np.ndarray
    bandwidth: float
    rules: pd.DataFrame
    layer_names: tuple[str, ...]

    @property
    def rmax(self) -> float:
        return float(self.radii[-1])


def _radius_name(r: float) -> str:
    return str(int(r)) if float(r).is_integer() else repr(float(r)).replace(".", "_")


def _make_spec(
    radii_m: Sequence[float],
    kernel_bandwidth_m: float,
    conflicts: ConflictsLike,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    level: str,
) -> _Spec:
    radii = np.asarray(list(radii_m), dtype=float)
    if radii.size == 0 or not np.isfinite(radii).all() or (radii <= 0).any():
        raise ValueError(
            "The 'radii_m' parameter of context_features must be positive distances in "
            f"metres. Got {list(radii_m)!r} instead."
        )
    if len(np.unique(radii)) != len(radii):
        raise ValueError(f"The 'radii_m' parameter has duplicates: {list(radii_m)!r}")
    if not (np.isfinite(kernel_bandwidth_m) and kernel_bandwidth_m > 0):
        raise ValueError(
            "The 'kernel_bandwidth_m' parameter of context_features must be a positive "
            f"distance in metres. Got {kernel_bandwidth_m!r} instead."
        )
    if level not in ("division", "code"):
        raise ValueError(
            "The 'level' parameter of context_features must be 'division' or 'code'. "
            f"Got {level!r} instead."
        )
    if conflicts is None:
        rules = default_conflicts()
    elif isinstance(conflicts, pd.DataFrame) and conflicts.empty:
        rules = load_conflicts([])
    else:
        rules = load_conflicts(conflicts)
    names = tuple(layers) if layers else ()
    for name in names:
        if not str(name).isidentifier():
            raise ValueError(f"layer name {name!r} must be usable in a column name")
    return _Spec(
        radii=np.sort(radii), bandwidth=float(kernel_bandwidth_m), rules=rules, layer_names=names
    )


def _conflict_codes(rules: pd.DataFrame) -> list[str]:
    codes = list(rules["source"]) + [s for s in rules["sensitive"] if s[:1].isupper()]
    return list(dict.fromkeys(codes))


# --------------------------------------------------------------------------------------------
# The core


@dataclass
class _Out:
    """Raw per-asset results before they become columns."""

    counts: np.ndarray  # (n, n_labels, n_radii) int32
    presence: np.ndarray  # (n, n_labels) float64
    nearest: np.ndarray  # (n, n_labels) float64; NaN = not found within the largest radius
    nearest_ord: np.ndarray  # (n, n_labels) int64 firm ordinal, -1 none
    nearest_id: np.ndarray  # (n, n_labels) object firm id
    access: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls, n: int, n_labels: int, n_radii: int) -> _Out:
        return cls(
            counts=np.zeros((n, n_labels, n_radii), dtype=np.int32),
            presence=np.zeros((n, n_labels)),
            nearest=np.full((n, n_labels), np.nan),
            nearest_ord=np.full((n, n_labels), -1, dtype=np.int64),
            nearest_id=np.full((n, n_labels), None, dtype=object),
        )


def _tiles(x: np.ndarray, y: np.ndarray, finest_m: float, coarsest_m: float) -> list[np.ndarray]:
    """Group points into quadtree tiles of at most ``_TILE_ASSETS`` points.

    Tiles are squares from ``coarsest_m`` down to ``finest_m`` a side; a tile is split while it
    holds more than ``_TILE_ASSETS`` points. Keeping tiles no larger than the search radius
    keeps each tile's firm window (tile plus radius on every side) close to the disks its
    assets need.
    """
    n = len(x)
    if n == 0:
        return []
    levels = max(0, math.ceil(math.log2(max(coarsest_m / finest_m, 1.0))))
    x0, y0 = float(x.min()), float(y.min())
    remaining = np.arange(n)
    keys_out: list[np.ndarray] = []
    rows_out: list[np.ndarray] = []
    for level in range(levels, -1, -1):
        size = finest_m * 2**level
        ix = ((x[remaining] - x0) // size).astype(np.int64)
        iy = ((y[remaining] - y0) // size).astype(np.int64)
        key = (iy << 24) + ix
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        final = (counts[inverse] <= _TILE_ASSETS) | (level == 0)
        keys_out.append((np.int64(level) << 56) + key[final])
        rows_out.append(remaining[final])
        remaining = remaining[~final]
        if not len(remaining):
            break
    keys = np.concatenate(keys_out)
    rows = np.concatenate(rows_out)
    order = np.lexsort((rows, keys))
    keys, rows = keys[order], rows[order]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    return np.split(rows, cuts)


class _Workspace(threading.local):
    """Scratch arrays of one thread, reused by every dense block of a computation."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, m: int, n: int, dtype: type) -> np.ndarray:
        buf = self.buffers.get(name)
        if buf is None or buf.size < m * n:
            buf = np.empty(max(m * n, _PAIR_BUDGET), dtype=dtype)
            self.buffers[name] = buf
        return buf[: m * n].reshape(m, n)

    def zeros(self, n: int) -> np.ndarray:
        """A row of n zeros (``np.maximum`` with it is much faster than with a scalar 0)."""
        buf = self.buffers.get("zeros")
        if buf is None or buf.size < n:
            buf = self.buffers["zeros"] = np.zeros(max(n, 4096))
        return buf[None, :n]


@dataclass(frozen=True)
class _Window:
    """The (firm, label) pairs of a tile's window, sorted by label then grid order."""

    p: np.ndarray  # firm positions in the FirmIndex
    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray  # first pair of each label segment
    lengths: np.ndarray  # pairs per segment
    labels: np.ndarray  # label of each segment
    seg: np.ndarray  # segment of each pair
    seg_label: np.ndarray  # label of each pair

    @classmethod
    def of(cls, p: np.ndarray, x: np.ndarray, y: np.ndarray, sizes: np.ndarray) -> _Window:
        """The window of pairs sorted by label, ``sizes[j]`` of label ``j``."""
        present = np.flatnonzero(sizes)
        lengths = sizes[present]
        seg = np.repeat(np.arange(len(present)), lengths)
        return cls(
            p=p,
            x=x,
            y=y,
            starts=np.cumsum(lengths) - lengths,
            lengths=lengths,
            labels=present,
            seg=seg,
            seg_label=present[seg],
        )


def _group_by_size(tiles: list[np.ndarray], limit: int) -> list[list[np.ndarray]]:
    """Consecutive tiles grouped until each group holds at least ``limit`` assets."""
    groups: list[list[np.ndarray]] = [[]]
    size = 0
    for t in tiles:
        if size >= limit:
            groups.append([])
            size = 0
        groups[-1].append(t)
        size += len(t)
    return groups


def _run_tile(
    A: _Assets,
    rows: np.ndarray,
    F: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    out: _Out,
    ws: _Workspace,
) -> list[tuple[np.ndarray, ...]]:
    ox, oy = A.ox[rows], A.oy[rows]
    margin = spec.rmax + float(A.reach[rows].max()) + _EPS_M
    p, x, y, sizes = F._label_window(
        ox.min() - margin, oy.min() - margin, ox.max() + margin, oy.max() + margin, labels
    )
    if not len(p):
        return []
    W = _Window.of(p, x, y, sizes)
    block = max(1, _PAIR_BUDGET // len(p))
    if len(rows) <= block:
        return [_dense_block(A, rows, W, spec, out, ws)]
    # several blocks: nearby assets together (Z order), each block with the firms of its own
    # box plus margin only
    rows = rows[np.argsort(_z_order(ox, oy), kind="stable")]
    parts = []
    for b0 in range(0, len(rows), block):
        r = rows[b0 : b0 + block]
        bx, by = A.ox[r], A.oy[r]
        margin = spec.rmax + float(A.reach[r].max()) + _EPS_M
        keep = np.flatnonzero(
            (W.x >= bx.min() - margin)
            & (W.x <= bx.max() + margin)
            & (W.y >= by.min() - margin)
            & (W.y <= by.max() + margin)
        )
        if len(keep):
            sub = _Window.of(
                W.p[keep],
                W.x[keep],
                W.y[keep],
                np.bincount(W.seg_label[keep], minlength=len(sizes)),
            )
            parts.append(_dense_block(A, r, sub, spec, out, ws))
    return parts


def _z_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order (Morton) keys of points on a 1024 x 1024 grid over their bounding box."""
    keys = []
    for v in (x, y):
        span = float(v.max() - v.min())
        q = ((v - v.min()) * (1023 / span) if span > 0 else np.zeros(len(v))).astype(np.uint32)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            q = (q | (q << shift)) & mask
        keys.append(q)
    return keys[0] | (keys[1] << 1)


def _dense_block(
    A: _Assets,
    r: np.ndarray,
    W: _Window,
    spec: _Spec,
    out: _Out,
    ws: _Workspace,
) -> tuple[np.ndarray, ...]:
    """Bounds for every (asset, firm) pair of a block; what they settle goes to ``out``.

    Counts and presence get the pairs surely within each radius; returned are the other
    pairs that need an exact look (see :func:`_refine`): ambiguous ones, whose bounds straddle
    a radius, and candidates for the nearest firm, as (asset, label, firm, l**2, candidate).
    """
    radii = spec.radii
    nr, m, n, ns = len(radii), len(r), len(W.p), len(W.starts)
    # distance l from each firm to each parcel's rectangle (lower bound of the exact distance);
    # per pair, the same operations whatever the block, so results never depend on tiling
    l2, t1, t2, t3 = (ws.get(name, m, n, np.float64) for name in ("l2", "t1", "t2", "t3"))
    np.subtract(W.x[None, :], A.ox[r, None], out=t1)  # dx
    np.subtract(W.y[None, :], A.oy[r, None], out=t2)  # dy
    c, s = A.cos[r, None], A.sin[r, None]
    np.multiply(t1, c, out=l2)
    np.multiply(t2, s, out=t3)
    l2 += t3  # u
    np.multiply(t2, c, out=t2)
    np.multiply(t1, s, out=t1)
    t2 -= t1  # v
    zero = ws.zeros(n)
    for w, half in ((l2, A.hu[r, None]), (t2, A.hv[r, None])):
        np.abs(w, out=w)
        w -= half
        np.maximum(w, zero, out=w)
        np.square(w, out=w)
    l2 += t2
    # per radius: pairs surely within (l <= r - gap - eps) are counted here, pairs surely
    # beyond (l > r + eps) are not, the ones between are ambiguous
    beyond, within = _thresholds(radii, A.gap[r])
    sure, maybe, flag = (ws.get(name, m, n, np.bool_) for name in ("sure", "maybe", "flag"))
    counts = np.empty((m, ns, nr), dtype=np.int32)
    for k in range(nr):
        np.less_equal(l2, within[:, k, None], out=sure)
        counts[:, :, k] = np.add.reduceat(sure, W.starts, axis=1, dtype=np.int32)
        np.less_equal(l2, beyond[k], out=maybe)
        if k == 0:
            np.greater(maybe, sure, out=flag)
        else:
            np.greater(maybe, sure, out=maybe)
            flag |= maybe
    rl = r[:, None], W.labels[None, :]
    out.counts[rl] = counts
    # presence: Gaussian of l summed over the firms surely within the largest radius (``sure``
    # now), in grid order; only those pairs enter the sums, so they do not depend on what else
    # the window holds
    idx = np.flatnonzero(sure)
    w = l2.reshape(-1).take(idx)
    w *= -1.0 / spec.bandwidth**2
    np.exp(w, out=w)
    lo = np.searchsorted(idx, (np.arange(m)[:, None] * n + W.starts[None, :]).reshape(-1))
    full = np.flatnonzero(np.r_[lo[1:], len(idx)] > lo)
    presence = np.zeros(m * ns)
    if len(full):
        presence[full] = np.add.reduceat(w, lo[full])
    out.presence[rl] = presence.reshape(m, ns)
    # nearest: candidates whose lower bound is below the best upper bound of their label
    bound = np.sqrt(np.minimum.reduceat(l2, W.starts, axis=1)) + A.gap[r, None] + 2 * _EPS_M
    bound *= bound
    np.less_equal(l2, np.repeat(bound, W.lengths, axis=1), out=maybe)
    flag |= maybe
    q = np.flatnonzero(flag)
    qi, qj = np.divmod(q, n)
    return (r[qi], W.seg_label[qj], W.p[qj], l2.reshape(-1)[q], maybe.reshape(-1)[q])


def _thresholds(radii: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared bounds of l: beyond radius k if ``l2 > beyond[k]``, within if ``<= within[:, k]``."""
    t = radii[None, :] - gap[:, None] - _EPS_M
    return (radii + _EPS_M) ** 2, np.where(t >= 0, t * t, -1.0)


def _refine(
    A: _Assets,
    F: FirmIndex,
    spec: _Spec,
    out: _Out,
    parts: list[tuple[np.ndarray, ...]],
    n_labels: int,
) -> None:
    """Settle the pairs :func:`_dense_block` left: ambiguous counts and nearest firms.

    The pairs of many blocks at once, so that per-call costs are shared. Ambiguous pairs are
    settled with NumPy distances where those are surely on one side of a radius, and measured
    with shapely where they are within the tolerance of one; refined pairs within the largest
    radius add to presence in grid order after the sure ones, so that sums never depend on
    tiling either.
    """
    parts = [t for t in parts if len(t[0])]
    if not parts:
        return
    a, lab, firm, l2, cand = (np.concatenate(c) for c in zip(*parts, strict=True))
    px, py = F.x[firm], F.y[firm]
    est, tol, exact = _distance_estimate(A, a, px, py, l2)
    radii = spec.radii
    beyond, within = _thresholds(radii, A.gap[a])
    amb = (l2[:, None] > within) & (l2[:, None] <= beyond[None, :])
    _measure(
        A,
        a,
        px,
        py,
        est,
        exact,
        (amb & (np.abs(est[:, None] - radii[None, :]) <= tol[:, None])).any(axis=1),
    )
    hit = amb & (est[:, None] <= radii[None, :])
    for k in range(len(radii)):
        h = np.flatnonzero(hit[:, k])
        np.add.at(out.counts, (a[h], lab[h], k), 1)
    # within the largest radius after all: presence counts them too (added in grid order)
    h = np.flatnonzero(hit[:, -1])
    np.add.at(out.presence, (a[h], lab[h]), np.exp(l2[h] * (-1.0 / spec.bandwidth**2)))
    # nearest firm per (asset, label) among the candidates, kept if within the largest radius
    c = np.flatnonzero(cand)
    key, d, firm = _pick_nearest(
        A, F, a[c], firm[c], a[c] * n_labels + lab[c], est[c], tol[c], exact[c]
    )
    found = d <= spec.rmax
    rk, lk = np.divmod(key[found], n_labels)
    out.nearest[rk, lk] = d[found]
    out.nearest_ord[rk, lk] = F.ordinal[firm[found]]
    out.nearest_id[rk, lk] = F.firm_id[firm[found]]


def _block_features(
    A: _Assets,
    F: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    chunk_size: int,
    progress: ProgressCallback | None,
    n_jobs: int,
    what: str = "context features",
) -> _Out:
    """Counts, presence, window-nearest and access for a set of assets."""
    out = _Out.empty(len(A), labels.n, len(spec.radii))
    finest = min(max(spec.rmax / 4, 100.0), 2000.0)
    tiles = _tiles(A.ox, A.oy, finest, max(spec.rmax, finest))
    total = len(A)
    done = 0
    started = time.perf_counter()
    chunks = _group_by_size(tiles, chunk_size)
    pool = ThreadPoolExecutor(n_jobs) if n_jobs > 1 else None
    ws = _Workspace()
    if labels.single:
        F._labels_of(labels)  # cached before threads look it up

    def task(group: list[np.ndarray]) -> None:
        """Tiles, then the exact look at what they left, a few hundred assets at a time."""
        pending: list[tuple[np.ndarray, ...]] = []
        size = 0
        for rows in group:  # tile after tile: never splits an asset's pairs
            part = _run_tile(A, rows, F, labels, spec, out, ws)
            pending += part
            size += sum(len(t[0]) for t in part)
            if size >= _REFINE_PAIRS:
                _refine(A, F, spec, out, pending, labels.n)
                pending, size = [], 0
        _refine(A, F, spec, out, pending, labels.n)

    try:
        for chunk in chunks:
            groups = _group_by_size(chunk, _TASK_ASSETS)
            if pool is not None:
                list(pool.map(task, groups))
            else:
                for group in groups:
                    task(group)
            done += sum(len(t) for t in chunk)
            if total >= chunk_size or progress is not None:
                logger.info(
                    "%s: %d/%d assets (%.1f %%), %d tiles, %.1f s",
                    what,
                    done,
                    total,
                    100.0 * done / max(total, 1),
                    len(chunk),
                    time.perf_counter() - started,
                )
            if progress is not None:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown()
    for name in spec.layer_names:
        assert layers is not None
        out.access[name] = _access(A.geoms, layers[name])
    return out


def _access(geoms: np.ndarray, layer: gpd.GeoDataFrame) -> np.ndarray:
    feats = np.asarray(layer.geometry.array, dtype=object)
    feats = feats[~(pd.isna(feats) | shapely.is_empty(feats))] if len(feats) else feats
    result = np.full(len(geoms), np.inf)
    if not len(feats) or not len(geoms):
        return result
    tree = shapely.STRtree(feats)
    (qi, _), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    result[qi] = d
    return result


def _fallback_nearest(A: _Assets, F: FirmIndex, labels: _Labels, out: _Out) -> None:
    """Exact nearest firm for the (asset, label) pairs not found within the largest radius."""
    todo = np.isnan(out.nearest)
    if not todo.any():
        return
    n_pairs = int(todo.sum())
    started = time.perf_counter()
    for j in np.flatnonzero(todo.any(axis=0)):
        rows = np.flatnonzero(todo[:, j])
        key, pos = F._member_positions(labels.member[:, j])
        if not len(pos):
            out.nearest[rows, j] = np.inf
            continue
        ri, firm = _far_candidates(A, F, key, pos, rows)
        # keep the candidates whose rectangle distance is below their asset's best upper bound
        a = rows[ri]
        low = _rectangle_distance(A, a, F.x[firm], F.y[firm])
        starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
        best = np.minimum.reduceat(low + A.gap[a], starts)
        keep = low <= np.repeat(best, np.diff(np.r_[starts, len(ri)])) + 2 * _EPS_M
        a, firm, ri = a[keep], firm[keep], ri[keep]
        est, tol, exact = _distance_estimate(A, a, F.x[firm], F.y[firm])
        ri, d, firm = _pick_nearest(A, F, a, firm, ri, est, tol, exact)
        out.nearest[rows[ri], j] = d
        out.nearest_ord[rows[ri], j] = F.ordinal[firm]
        out.nearest_id[rows[ri], j] = F.firm_id[firm]
    logger.info(
        "context features: %d nearest firms beyond the largest radius found in %.2f s",
        n_pairs,
        time.perf_counter() - started,
    )


def _rectangle_distance(A: _Assets, a: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Distance from each point to its asset's minimum rotated rectangle."""
    dx, dy = px - A.ox[a], py - A.oy[a]
    u = np.maximum(np.abs(dx * A.cos[a] + dy * A.sin[a]) - A.hu[a], 0.0)
    v = np.maximum(np.abs(dy * A.cos[a] - dx * A.sin[a]) - A.hv[a], 0.0)
    return np.sqrt(u * u + v * v)


def _far_candidates(
    A: _Assets, F: FirmIndex, key: bytes, pos: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (index into ``rows``, firm position), sorted by row, holding every nearest firm.

    Around each rectangle centre, the firm nearest to it is at most ``gap`` farther from the
    parcel than from the centre, and no firm is more than ``reach`` nearer to the parcel than to
    the centre; so the nearest firms to the parcel are within ``nearest + gap + reach`` of the
    centre. Those firms are found by brute force over the industry's firms, or with a k-d tree
    once enough assets were searched to pay for one.
    """
    cx, cy = A.ox[rows], A.oy[rows]
    slack = A.gap[rows] + A.reach[rows] + 2 * _EPS_M
    tree = F._kdtrees.get(key)
    done = F._far_rows.get(key, 0)
    if tree is None and done + len(rows) > _FAR_TREE_ROWS:
        tree = cKDTree(
            np.column_stack([F.x[pos], F.y[pos]]), balanced_tree=False, compact_nodes=False
        )
        F._kdtrees[key] = tree
    ri, fi = [], []
    if tree is not None:
        for b0 in range(0, len(rows), _REFINE_PAIRS):
            centres = np.column_stack([cx[b0 : b0 + _REFINE_PAIRS], cy[b0 : b0 + _REFINE_PAIRS]])
            first, _ = tree.query(centres, k=1)
            found = tree.query_ball_point(
                centres, first + slack[b0 : b0 + _REFINE_PAIRS], return_sorted=False
            )
            sizes = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
            fi.append(
                np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(sizes.sum()))
            )
            ri.append(np.repeat(np.arange(b0, b0 + len(found)), sizes))
        return np.concatenate(ri), pos[np.concatenate(fi)]
    F._far_rows[key] = done + len(rows)
    fx, fy = F.x[pos], F.y[pos]
    block = max(1, _PAIR_BUDGET // len(pos))
    for b0 in range(0, len(rows), block):
        dx = fx[None, :] - cx[b0 : b0 + block, None]
        dy = fy[None, :] - cy[b0 : b0 + block, None]
        dx *= dx
        dy *= dy
        dx += dy
        limit = np.sqrt(dx.min(axis=1)) + slack[b0 : b0 + block]
        i, f = np.divmod(np.flatnonzero(dx <= (limit * limit)[:, None]), len(pos))
        ri.append(i + b0)
        fi.append(f)
    return np.concatenate(ri), pos[np.concatenate(fi)]


# --------------------------------------------------------------------------------------------
# Columns


def _breach_flags(spec: _Spec, labels: _Labels) -> dict[str, tuple[str, str, float]]:
    """``breach_{use}_near_{other}`` → (kind of the other side, other, distance)."""
    flags: dict[str, tuple[str, str, float]] = {}

    def add(use: str, other: str, kind: str, dist: float) -> None:
        name = f"breach_{use}_near_{other}"
        if name not in flags or flags[name][2] < dist:
            flags[name] = (kind, other, dist)

    for rule in spec.rules.itertuples(index=False):
        add(rule.sensitive, rule.source, "firm", float(rule.min_distance_m))
        if rule.sensitive in labels.codes:
            add(rule.source, rule.sensitive, "firm", float(rule.min_distance_m))
        elif rule.sensitive in spec.layer_names:
            add(rule.source, rule.sensitive, "layer", float(rule.min_distance_m))
    return flags


def _column_names(spec: _Spec, labels: _Labels) -> list[str]:
    out_codes = labels.codes[: labels.n_out]
    names = ["centroid_x", "centroid_y", "equiv_radius_m"]
    names += [f"n_{c}_{_radius_name(r)}m" for c in out_codes for r in spec.radii]
    names += [f"nearest_{c}_m" for c in out_codes]
    names += [f"presence_{c}" for c in out_codes]
    names += [f"access_{name}_m" for name in spec.layer_names]
    for code in _conflict_codes(spec.rules):
        names += [f"conflict_{code}_nearest_m", f"conflict_{code}_nearest_firm"]
    flags = _breach_flags(spec, labels)
    names += list(flags)
    if flags or len(spec.rules):
        names.append("conflicts_breached")
    return names


def _assemble(A: _Assets, out: _Out, spec: _Spec, labels: _Labels) -> pd.DataFrame:
    index = A.ids.rename("asset_id")
    cols: dict[str, Any] = {
        "centroid_x": A.cx,
        "centroid_y": A.cy,
        "equiv_radius_m": np.sqrt(A.area / np.pi),
    }
    for j in range(labels.n_out):
        for k, r in enumerate(spec.radii):
            cols[f"n_{labels.codes[j]}_{_radius_name(r)}m"] = out.counts[:, j, k]
    for j in range(labels.n_out):
        cols[f"nearest_{labels.codes[j]}_m"] = out.nearest[:, j]
    for j in range(labels.n_out):
        cols[f"presence_{labels.codes[j]}"] = out.presence[:, j]
    for name in spec.layer_names:
        cols[f"access_{name}_m"] = out.access[name]
    for code in _conflict_codes(spec.rules):
        j = labels.index(code)
        cols[f"conflict_{code}_nearest_m"] = out.nearest[:, j]
        # object dtype always: firm ids of any type, None where there is no firm
        cols[f"conflict_{code}_nearest_firm"] = pd.Series(
            out.nearest_id[:, j], index=index, dtype=object
        )
    flags = _breach_flags(spec, labels)
    breached = np.zeros(len(A), dtype=np.int16)
    for name, (kind, other, dist) in flags.items():
        near = out.nearest[:, labels.index(other)] if kind == "firm" else out.access[other]
        cols[name] = near < dist
        breached += cols[name]
    if flags or len(spec.rules):
        cols["conflicts_breached"] = breached
    frame = pd.DataFrame(cols, index=index)
    return frame


def _attach_params(frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    frame.attrs["context_params"] = params
    frame.attrs["computed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return frame


def _check_layers(layers: Mapping[str, gpd.GeoDataFrame] | None, crs: CRS) -> None:
    for name, layer in (layers or {}).items():
        if not isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
            raise TypeError(f"layer {name!r} must be a GeoDataFrame; got {type(layer).__name__}")
        if layer.crs is None or not _same_crs(CRS.from_user_input(layer.crs), crs):
            got = "no CRS" if layer.crs is None else _crs_name(CRS.from_user_input(layer.crs))
            raise CRSError(
                f"CRS mismatch: layer {name!r} is in {got} but assets are in {_crs_name(crs)}. "
                f"Project it with layer.to_crs(assets.crs)."
            )


def _n_jobs(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        import os

        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return max(1, int(n_jobs))


def _firm_index(firms: gpd.GeoDataFrame | FirmIndex, crs: CRS, firms_coords: str) -> FirmIndex:
    if isinstance(firms, FirmIndex):
        if not _same_crs(firms.crs, crs):
            raise CRSError(
                f"CRS mismatch: the firm index is in {_crs_name(firms.crs)} but assets are in "
                f"{_crs_name(crs)}. Build it with FirmIndex.build(firms, assets.crs)."
            )
        return firms
    return FirmIndex.build(firms, crs, firms_coords=firms_coords)


@dataclass(frozen=True)
class _Setup:
    ids: pd.Index
    geoms: np.ndarray
    crs: CRS
    index: FirmIndex
    labels: _Labels
    spec: _Spec
    params: dict[str, Any]
    same_ids: bool  # ids equal the given context's index, in order (geometries not checked)


def _setup(
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    radii_m: Sequence[float],
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    industries: Sequence[str] | None,
    level: str,
    kernel_bandwidth_m: float,
    conflicts: ConflictsLike,
    firms_coords: str,
    known: pd.Index | None = None,
) -> _Setup:
    spec = _make_spec(radii_m, kernel_bandwidth_m, conflicts, layers, level)
    ids, geoms, crs, same_ids = _check_assets(assets, known)
    _check_layers(layers, crs)
    index = _firm_index(firms, crs, firms_coords)
    labels = _labels(index.categories, industries, level, _conflict_codes(spec.rules))
    params = {
        "radii_m": [float(r) for r in spec.radii],
        "industries": list(labels.codes[: labels.n_out]),
        "level": level,
        "kernel_bandwidth_m": spec.bandwidth,
        "layers": list(spec.layer_names),
        "conflicts": spec.rules[["source", "sensitive", "min_distance_m"]].to_dict("records"),
        "firms_coords": firms_coords,
        "crs": crs.to_string(),
    }
    return _Setup(ids, geoms, crs, index, labels, spec, params, same_ids)


# --------------------------------------------------------------------------------------------
# Public API


def context_features(
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    *,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
    engine: Literal["numpy", "dask"] = "numpy",
    chunk_size: int = 5000,
    progress: ProgressCallback | None = None,
    n_jobs: int | None = None,
    client: Any = None,
    npartitions: int | None = None,
) -> pd.DataFrame:
    """Context features of every asset: nearby industries, conflicts and accessibility.

    See the module documentation for the exact meaning of every column.

    Parameters
    ----------
    assets
        Parcels (Polygon or MultiPolygon) or located-only assets (Point) in a projected CRS in
        metres, with an ``asset_id`` column or an index named ``asset_id``.
    firms
        Firm points with an ``industry`` column (GB/T 4754 codes) and optionally ``firm_id``,
        or a prepared :class:`FirmIndex`. Their CRS must be the assets' CRS, except with a
        web-map ``firms_coords`` (see below).
    radii_m
        Radii in metres for the ``n_{industry}_{r}m`` counts, measured from the parcel
        boundary; the largest also truncates the presence kernel.
    layers
        Reference layers by name (e.g. ``highway_exit``, ``port``, ``rail_station``,
        ``town_centre``), GeoDataFrames in the assets' CRS; one ``access_{name}_m`` column
        each.
    industries
        Industry codes to report (divisions such as ``C19`` or finer codes such as ``C1921``; a
        firm belongs to every listed code its own code starts with). ``None``: every industry
        present in ``firms`` at ``level``.
    level
        With ``industries=None``: ``"division"`` groups firms by division (``C1921`` → ``C19``),
        ``"code"`` by their codes as given.
    kernel_bandwidth_m
        Bandwidth ``h`` in metres of the presence kernel ``exp(-(l/h)**2)``.
    conflicts
        Conflict rules (see :func:`assetmatch.domain.industry.load_conflicts`); ``None`` uses
        :func:`assetmatch.domain.industry.default_conflicts`; an empty list gives no conflict
        columns.
    firms_coords
        Where the firm coordinates come from. ``"wgs84"`` or ``"cgcs2000"``: true positions,
        and ``firms`` must be in the assets' CRS. ``"gcj02"`` (Amap, Tencent) or ``"bd09"``
        (Baidu): ``firms`` are lon/lat in EPSG:4326 or EPSG:4490 as read from the web map;
        they are converted to WGS 84 and projected to the assets' CRS before any distance is
        measured. Every other combination is a :class:`~assetmatch.CRSError`. Ignored when
        ``firms`` is a :class:`FirmIndex`.
    engine
        ``"numpy"`` (one machine, ``n_jobs`` threads) or ``"dask"``: the same computation on
        spatial partitions of the assets (dask-geopandas, Hilbert order), each receiving the
        firms within its bounding box plus the largest radius; the results are identical.
    chunk_size
        Assets per progress step; each step logs an INFO line with counts and percentage.
    progress
        Called as ``progress(done, total)`` (asset counts) after each step.
    n_jobs
        Threads for the numpy engine (``None``: 1; ``-1``: all cores).
    client
        A ``dask.distributed.Client`` for ``engine="dask"``; default the current client if
        there is one, else dask's local scheduler.
    npartitions
        Number of spatial partitions for ``engine="dask"`` (default about one per 20,000
        assets, at least 2).

    Returns
    -------
    pandas.DataFrame
        One row per asset in the input order, indexed by ``asset_id``.

    Raises
    ------
    CRSError
        Assets not in a projected CRS in metres; firms or layers in another CRS (both CRSs are
        named); web-map coordinates not in lon/lat.
    ValidationError
        Missing or duplicated asset ids, unsupported or empty geometries, firms without a
        point or with a bad industry code — every problem listed at once.
    """
    setup = _setup(
        assets,
        firms,
        radii_m,
        layers,
        industries,
        level,
        kernel_bandwidth_m,
        conflicts,
        firms_coords,
    )
    if engine not in ("numpy", "dask"):
        raise ValueError(
            "The 'engine' parameter of context_features must be 'numpy' or 'dask'. "
            f"Got {engine!r} instead."
        )
    started = time.perf_counter()
    logger.info(
        "context features: %d assets, %d firms, %d industries, radii %s m, engine %s",
        len(setup.ids),
        len(setup.index),
        setup.labels.n_out,
        [_radius_name(r) for r in setup.spec.radii],
        engine,
    )
    if engine == "dask":
        A, out = _dask_features(
            setup, layers, client=client, npartitions=npartitions, progress=progress
        )
    else:
        A = _prepare_assets(setup.ids, setup.geoms)
        out = _block_features(
            A,
            setup.index,
            setup.labels,
            setup.spec,
            layers,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=_n_jobs(n_jobs),
        )
    _fallback_nearest(A, setup.index, setup.labels, out)
    frame = _assemble(A, out, setup.spec, setup.labels)
    logger.info(
        "context features: %d assets done in %.1f s", len(frame), time.perf_counter() - started
    )
    return _attach_params(frame, setup.params)


def _dask_features(
    setup: _Setup,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    *,
    client: Any,
    npartitions: int | None,
    progress: ProgressCallback | None,
) -> tuple[_Assets, _Out]:
    import dask
    import dask_geopandas

    n = len(setup.ids)
    A = _prepare_assets(setup.ids, setup.geoms)
    frame = gpd.GeoDataFrame({"_pos": np.arange(n)}, geometry=setup.geoms, crs=setup.crs)
    nparts = npartitions or max(2, n // 20_000)
    nparts = max(1, min(nparts, n))
    dframe = dask_geopandas.from_geopandas(frame, npartitions=nparts)
    dframe = dframe.spatial_shuffle(by="hilbert", npartitions=nparts)
    parts = dframe.to_delayed()
    if client is None:
        try:
            from distributed import get_client

            client = get_client()
        except (ImportError, ValueError):
            client = None
    margin = setup.spec.rmax + float(A.reach.max(initial=0.0)) + _EPS_M
    positions = [
        np.sort(p["_pos"].to_numpy())
        for p in dask.compute(*[dask.delayed(lambda df: df[["_pos"]])(part) for part in parts])
    ]
    tasks = []
    for pos in positions:
        if not len(pos):
            continue
        box = (
            A.ox[pos].min() - margin,
            A.oy[pos].min() - margin,
            A.ox[pos].max() + margin,
            A.oy[pos].max() + margin,
        )
        sub = setup.index.subset(setup.index.window(*box))
        tasks.append(
            dask.delayed(_partition_task)(
                setup.ids[pos], setup.geoms[pos], pos, sub, setup.labels, setup.spec, layers
            )
        )
    out = _Out.empty(n, setup.labels.n, len(setup.spec.radii))
    for name in setup.spec.layer_names:
        out.access[name] = np.full(n, np.inf)
    done = 0

    def collect(result: tuple[np.ndarray, _Out]) -> None:
        nonlocal done
        pos, part = result
        out.counts[pos] = part.counts
        out.presence[pos] = part.presence
        out.nearest[pos] = part.nearest
        out.nearest_ord[pos] = part.nearest_ord
        out.nearest_id[pos] = part.nearest_id
        for name, values in part.access.items():
            out.access[name][pos] = values
        done += len(pos)
        logger.info(
            "context features (dask): %d/%d assets (%.1f %%)", done, n, 100.0 * done / max(n, 1)
        )
        if progress is not None:
            progress(done, n)

    logger.info("context features (dask): %d spatial partitions", len(tasks))
    if client is not None:
        from distributed import as_completed

        futures = client.compute(tasks)
        for future in as_completed(futures):
            collect(future.result())
    else:
        for result in dask.compute(*tasks):
            collect(result)
    return A, out


def _partition_task(
    ids: pd.Index,
    geoms: np.ndarray,
    pos: np.ndarray,
    index: FirmIndex,
    labels: _Labels,
    spec: _Spec,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
) -> tuple[np.ndarray, _Out]:
    A = _prepare_assets(ids, geoms)
    out = _block_features(
        A, index, labels, spec, layers, chunk_size=len(ids) + 1, progress=None, n_jobs=1
    )
    return pos, out


def _changed_points(
    points: Any, crs: CRS, firms_coords: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Coordinates in the assets' CRS and, when given, industry codes of changed firm points."""
    codes = None
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        if isinstance(points, gpd.GeoDataFrame) and "industry" in points.columns:
            codes = points["industry"].astype(str).str.strip().str.upper().to_numpy(dtype=object)
        geoms = np.asarray(points.geometry.array, dtype=object)
        keep = ~(pd.isna(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.ones(0, bool)
        geoms = geoms[keep]
        codes = codes[keep] if codes is not None else None
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        if points.crs is None:
            raise CRSError("changed_firm_points have no CRS; set the CRS of the firm points")
        pcrs = CRS.from_user_input(points.crs)
        if not _same_crs(pcrs, crs):  # lon/lat: converted like the firms
            x, y = _firms_to_crs(x, y, pcrs, crs, firms_coords)
        return np.asarray(x, float), np.asarray(y, float), codes
    arr = np.asarray(points, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1], None


def _box_distance(bounds: np.ndarray, px: float, py: float) -> np.ndarray:
    gx = np.maximum(np.maximum(bounds[:, 0] - px, px - bounds[:, 2]), 0.0)
    gy = np.maximum(np.maximum(bounds[:, 1] - py, py - bounds[:, 3]), 0.0)
    return np.hypot(gx, gy)


def refresh_context(
    context: pd.DataFrame,
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    *,
    changed_asset_ids: Iterable[Any] = (),
    removed_asset_ids: Iterable[Any] = (),
    changed_firm_points: Any = None,
    radii_m: Sequence[float] = (1000, 3000, 5000),
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    industries: Sequence[str] | None = None,
    level: Literal["division", "code"] = "division",
    kernel_bandwidth_m: float = 2000.0,
    conflicts: ConflictsLike = None,
    firms_coords: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84",
    chunk_size: int = 5000,
    progress: ProgressCallback | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Bring a context table up to date after assets or firms changed, recomputing few rows.

    The result equals ``context_features(assets, firms, ...)`` with the same parameters, which
    must be the ones ``context`` was computed with. Recomputed are: the rows of changed (added,
    moved, reshaped) assets and of assets missing from ``context``; for changed firm points,
    every asset within the largest radius of one of them (counts and presence), and every asset
    whose nearest firm of some industry may have changed — a firm added closer than its current
    nearest, or a removed firm at exactly its nearest distance (``nearest_*`` can change far
    away, so this check runs over all assets with a cheap bounding-box lower bound). Rows of
    removed assets, and of ``context`` rows whose asset is no longer in ``assets``, are dropped.
    If the parameters give other columns than ``context`` has (e.g. a new industry appeared
    with ``industries=None``), everything is recomputed. When ``assets`` has exactly the ids of
    ``context`` in the same order, only the geometries of the recomputed rows are validated,
    and columns whose values did not change are shared (copy-on-write) with ``context``.

    Parameters
    ----------
    context
        The table to update, as returned by :func:`context_features`; not modified.
    assets
        All assets now (after the edits).
    firms
        All firms now, or a :class:`FirmIndex` built from them.
    changed_asset_ids
        Ids of assets added or whose geometry changed.
    removed_asset_ids
        Ids of assets removed; they must no longer be in ``assets``.
    changed_firm_points
        Old and new locations of every firm added, moved or removed: a GeoSeries or
        GeoDataFrame of points (converted like ``firms`` when its CRS is lon/lat with a
        web-map ``firms_coords``), or an ``(n, 2)`` array in the assets' CRS. An
        ``industry`` column, when present, narrows the nearest-firm check to those industries.
    radii_m, layers, industries, level, kernel_bandwidth_m, conflicts, firms_coords
        As for :func:`context_features`.
    chunk_size, progress, n_jobs
        As for :func:`context_features`.

    Returns
    -------
    pandas.DataFrame
        The refreshed context, rows in the order of ``assets``.

    Raises
    ------
    UnknownAssetError
        A changed id is not in ``assets``.
    ValidationError
        A removed id is still in ``assets``, or any problem :func:`context_features` reports.
    """
    started = time.perf_counter()
    setup = _setup(
        assets,
        firms,
        radii_m,
        layers,
        industries,
        level,
        kernel_bandwidth_m,
        conflicts,
        firms_coords,
        known=context.index,
    )
    expected = _column_names(setup.spec, setup.labels)
    if list(context.columns) != expected:
        logger.info(
            "refresh context: the parameters give other columns than the context has; "
            "recomputing all %d assets",
            len(setup.ids),
        )
        return context_features(
            assets,
            setup.index,
            radii_m,
            layers=layers,
            industries=industries,
            level=level,
            kernel_bandwidth_m=kernel_bandwidth_m,
            conflicts=conflicts,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=n_jobs,
        )
    ids = setup.ids
    same_order = setup.same_ids
    current = context.index if same_order else ids
    removed = list(removed_asset_ids)
    if removed:
        still = current.get_indexer(pd.Index(removed)) >= 0
        if np.any(still):
            raise ValidationError(
                "removed_asset_ids lists assets that are still in assets",
                [
                    Problem(a, "asset_id", "listed as removed but still in assets")
                    for a, s in zip(removed, still, strict=True)
                    if s
                ],
            )
    changed = list(dict.fromkeys(changed_asset_ids))
    pos_changed = current.get_indexer(pd.Index(changed)) if changed else np.empty(0, np.int64)
    if (pos_changed < 0).any():
        unknown = [a for a, p in zip(changed, pos_changed, strict=True) if p < 0]
        raise UnknownAssetError(f"changed_asset_ids not in assets: {unknown[:20]}")
    if same_order:
        kept_pos = np.arange(len(ids))
        ctx_rows = np.arange(len(ids))
    else:
        ctx_rows = context.index.get_indexer(current)
        kept_pos = np.flatnonzero(ctx_rows >= 0)
        ctx_rows = ctx_rows[kept_pos]
    recompute = np.zeros(len(ids), dtype=bool)
    recompute[pos_changed] = True
    missing = np.ones(len(ids), dtype=bool)
    missing[kept_pos] = False
    recompute |= missing
    if changed_firm_points is not None:
        recompute |= _affected_by_firms(
            context, setup, changed_firm_points, kept_pos, ctx_rows, firms_coords
        )
    rows = np.flatnonzero(recompute)
    if same_order:  # ids were trusted; check the geometries about to be used
        problems = _geometry_problems(ids, setup.geoms, rows)
        if problems:
            raise ValidationError(f"assets: {len(problems)} problem(s)", problems)
    logger.info("refresh context: recomputing %d of %d assets", len(rows), len(ids))
    if len(rows):
        A = _prepare_assets(ids[rows], setup.geoms[rows])
        out = _block_features(
            A,
            setup.index,
            setup.labels,
            setup.spec,
            layers,
            chunk_size=chunk_size,
            progress=progress,
            n_jobs=_n_jobs(n_jobs),
            what="refresh context",
        )
        _fallback_nearest(A, setup.index, setup.labels, out)
        fresh = _assemble(A, out, setup.spec, setup.labels)
    else:
        fresh = context.iloc[:0]
    if same_order:
        source = context.copy(deep=False)
        source.attrs = {}  # pandas deep-copies attrs on every column access
        data: dict[str, Any] = {}
        for col in source.columns:
            old = source[col]
            if len(rows):
                new = fresh[col].to_numpy(dtype=old.dtype)
                if not np.array_equal(old.to_numpy()[rows], new):
                    values = old.to_numpy(copy=True)
                    values[rows] = new
                    data[col] = pd.Series(values, index=context.index, dtype=old.dtype, copy=False)
                    continue
            data[col] = old  # unchanged: shared copy-on-write with ``context``
        result = pd.DataFrame(data, index=context.index, copy=False)
    else:
        keep_rows = ~recompute[kept_pos]
        parts = [context.iloc[ctx_rows[keep_rows]], fresh]
        result = pd.concat(parts) if len(fresh) else parts[0]
        result = result.reindex(ids.rename("asset_id"))
        for col in context.columns:
            if result[col].dtype != context[col].dtype:
                result[col] = result[col].astype(context[col].dtype)
    result.index.name = "asset_id"
    logger.info("refresh context: done in %.3f s", time.perf_counter() - started)
    return _attach_params(result, setup.params)


def _affected_by_firms(
    context: pd.DataFrame,
    setup: _Setup,
    points: Any,
    kept_pos: np.ndarray,
    ctx_rows: np.ndarray,
    firms_coords: str,
) -> np.ndarray:
    """Assets (positions in ``assets``) a change of firms at ``points`` can affect."""
    px, py, codes = _changed_points(points, setup.crs, firms_coords)
    n = len(setup.ids)
    affected = np.zeros(n, dtype=bool)
    if not len(px):
        return affected
    bounds = shapely.bounds(setup.geoms)
    labels = setup.labels
    # current nearest distance per label of the kept assets, inf where unknown
    near = np.full((n, labels.n), np.inf)
    for j, code in enumerate(labels.codes):
        col = f"nearest_{code}_m" if j < labels.n_out else f"conflict_{code}_nearest_m"
        if col in context.columns:
            near[kept_pos, j] = context[col].to_numpy(dtype=float)[ctx_rows]
    all_max = near.max(axis=1)
    reach = setup.spec.rmax + _EPS_M
    for i in range(len(px)):
        lower = _box_distance(bounds, px[i], py[i])  # <= exact distance to the parcel
        affected |= lower <= reach
        if codes is None:
            limit = all_max
        else:
            js = [j for j, c in enumerate(labels.codes) if str(codes[i]).startswith(c)]
            if not js:
                continue
            limit = near[:, js].max(axis=1)
        affected |= lower <= limit + _EPS_M
    return affected
