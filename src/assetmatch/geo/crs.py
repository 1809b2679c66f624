"""Coordinate reference system rules: choosing, checking and storing CRSs.

Areas and distances are computed in a projected CRS in metres, never in degrees. For data in
China the projected CRS is the CGCS2000 3-degree Gauss–Krüger zone of the data (without the
zone number in front of the easting, e.g. EPSG:4549 for the zone with central meridian
120°E); elsewhere the WGS 84 UTM zone. Areas are corrected for the projection's scale so that
they equal the area on the ellipsoid, also near a zone edge.

Chinese survey data bring two classic mistakes, both detected here: coordinates given in
survey order (northing first, or latitude first), and eastings with or without the zone number
in front (``40,512,345`` in zone 40 versus ``512,345``) given with the wrong CRS.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer

from assetmatch._errors import CRSError, ValidationError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Rough bounding box of China (lon_min, lat_min, lon_max, lat_max) used to choose a CRS.
CHINA_BBOX: Final[tuple[float, float, float, float]] = (73.0, 3.0, 136.0, 54.0)
_ZONE_PREFIX_3DEG: Final = range(25, 46)  # CGCS2000 3° zones 25–45 (EPSG:4513–4533)
_ZONE_PREFIX_6DEG: Final = range(13, 24)  # CGCS2000 6° zones 13–23 (EPSG:4491–4501)


# --------------------------------------------------------------------------- checks


def require_crs(obj: Any, what: str) -> CRS:
    """Return the CRS of ``obj`` (a GeoSeries, GeoDataFrame or CRS-like), or raise if there is none.

    Parameters
    ----------
    obj
        An object with a ``.crs`` attribute, or a CRS / EPSG code / CRS string itself.
    what
        How to name ``obj`` in the message, e.g. ``"the input geometry"``.

    Raises
    ------
    CRSError
        "<what> has no CRS; set one with .set_crs(...)".
    """
    try:
        crs = obj.crs
    except AttributeError:
        crs = obj if isinstance(obj, CRS | str | int | dict) else None
    if crs is None:
        raise CRSError(
            f"{what} has no CRS; set one with .set_crs(...), e.g. .set_crs('EPSG:4490') for "
            "CGCS2000 longitude/latitude or .set_crs('EPSG:4549') for CGCS2000 3° Gauss–Krüger "
            "zone 120°E"
        )
    try:
        return CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(f"{what} has an unusable CRS {crs!r}: {exc}") from exc


def _epsg_gk3_no_prefix(cm: int) -> int:
    return 4534 + (cm - 75) // 3


def choose_projected_crs(lon: ArrayLike, lat: ArrayLike, *, margin_deg: float | None = None) -> CRS:
    """Choose a projected CRS in metres for data at the given longitudes and latitudes.

    Inside China (longitude 73–136°E, latitude 3–54°N, tested on the medians) this is the
    CGCS2000 3-degree Gauss–Krüger zone, without the zone number in the easting, whose central
    meridian is nearest the median longitude: EPSG:(4534 + (cm − 75)/3) with
    cm = 3·round(lon/3), e.g. EPSG:4549 for 118.8°E (cm 120°E) and EPSG:4548 for 118.4°E
    (cm 117°E). Elsewhere the WGS 84 UTM zone of the median (EPSG:326xx north, 327xx south).

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (CGCS2000 or WGS 84); NaN values are ignored.
    margin_deg
        When given, the spread that the warning below reports is measured only over the
        coordinates inside the chosen CRS's area of use widened by this margin (an import
        refuses the others: they cannot be stored in that CRS).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    assetmatch.ValidationError
        If no finite coordinate is given.

    Warns
    -----
    UserWarning
        If the data span more than one zone width (3° for Gauss–Krüger, 6° for UTM) of
        longitude; areas stay right (:func:`ground_area_m2` corrects the scale) but shapes far
        from the central meridian are distorted.
    """
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    good = np.isfinite(x) & np.isfinite(y)
    if not good.any():
        raise ValidationError("choose_projected_crs needs at least one finite longitude/latitude.")
    x, y = x[good], y[good]
    mx, my = float(np.median(x)), float(np.median(y))
    span = float(x.max() - x.min())
    lon_min, lat_min, lon_max, lat_max = CHINA_BBOX
    if lon_min <= mx <= lon_max and lat_min <= my <= lat_max:
        cm = 3 * math.floor(mx / 3.0 + 0.5)
        cm = min(max(cm, 75), 135)
        crs = CRS.from_epsg(_epsg_gk3_no_prefix(cm))
        width = 3.0
    else:
        zone = min(math.floor((mx + 180.0) / 6.0) + 1, 60)
        crs = CRS.from_epsg((32600 if my >= 0 else 32700) + zone)
        width = 6.0
    if margin_deg is not None:
        usable = ~_outside(x, y, crs, margin_deg)
        if usable.any():
            x = x[usable]
            span = float(x.max() - x.min())
    if span > width:
        warnings.warn(
            f"The data span {span:.1f}° of longitude ({x.min():.2f}°–{x.max():.2f}°), more than "
            f"one {width:.0f}° zone; {crs.name} (EPSG:{crs.to_epsg()}) was chosen for the median "
            f"{mx:.2f}°. Areas are scale-corrected, but shapes far from the central meridian are "
            "distorted; split the data by zone if that matters.",
            UserWarning,
            stacklevel=2,
        )
    logger.debug("chose %s for median lon %.4f, lat %.4f", crs.name, mx, my)
    return crs


# --------------------------------------------------------------------------- lon/lat


#: Objects made from CRSs, by kind and the text each CRS was made from (``CRS.srs``: cheap,
#: where hashing a CRS writes its WKT): see :func:`_by_srs`.
_MADE: dict[tuple[str, ...], Any] = {}


def _by_srs(kind: str, crss: tuple[CRS, ...], make: Callable[[], T]) -> T:
    """``make()``, made once per ``kind`` and the texts the ``crss`` were made from (a CRS
    object is immutable; pyproj's transformers, ``Proj`` and CRS objects may be shared between
    threads since pyproj 3.1). Making a transformer costs ~0.2 ms and ``geodetic_crs`` ~0.1 ms;
    a one-asset edit asked for several of each."""
    srs = tuple(c.srs for c in crss)
    if not all(srs):
        return make()
    key = (kind, *srs)
    try:
        return cast(T, _MADE[key])
    except KeyError:
        if len(_MADE) > 512:  # a process meets a handful of CRSs; never grow without bound
            _MADE.clear()
        made = _MADE[key] = make()
        return made


def _lonlat_target(crs: CRS) -> CRS:
    def make() -> CRS:
        geodetic = crs.geodetic_crs
        datum = None if geodetic is None else geodetic.datum
        if datum is not None and "China 2000" in datum.name:
            return CRS.from_epsg(4490)
        return CRS.from_epsg(4326)

    return _by_srs("lonlat_target", (crs,), make)


def _transformer(src: CRS, dst: CRS) -> Transformer:
    """The ``always_xy`` transformer from ``src`` to ``dst``, made once per pair."""
    return _by_srs(
        "transformer", (src, dst), lambda: Transformer.from_crs(src, dst, always_xy=True)
    )


def _proj(crs: CRS) -> pyproj.Proj:
    """``pyproj.Proj(crs)``, made once per CRS."""
    return _by_srs("proj", (crs,), lambda: pyproj.Proj(crs))


def _geodetic(crs: CRS) -> CRS | None:
    """``crs.geodetic_crs``, made once per CRS."""
    return _by_srs("geodetic", (crs,), lambda: crs.geodetic_crs)


def _xy_to_lonlat(
    x: NDArray[np.float64], y: NDArray[np.float64], crs: CRS
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    target = _lonlat_target(crs)
    if crs.is_geographic and _geodetic(crs) is not None and _geodetic(crs).equals(target):
        return x, y
    transformer = _transformer(crs, target)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def to_lonlat(geoseries: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Representative longitude/latitude of each geometry, in degrees.

    The representative point (inside a polygon, see ``shapely.point_on_surface``) is taken in
    the input CRS and transformed to CGCS2000 (EPSG:4490) when the input datum is CGCS2000,
    otherwise to WGS 84 (EPSG:4326); the two agree within centimetres in China.

    Parameters
    ----------
    geoseries
        GeoSeries or GeoDataFrame with a CRS.

    Returns
    -------
    lon, lat : numpy.ndarray
        NaN for missing or empty geometries.
    """
    crs = require_crs(geoseries, "the geometries")
    geoms = getattr(geoseries, "geometry", geoseries)
    return _lonlat_of(np.asarray(geoms, dtype=object), crs)


def _lonlat_of(arr: np.ndarray, crs: CRS) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`to_lonlat` of an object array of geometries in ``crs``."""
    pts = shapely.point_on_surface(arr)
    x = np.asarray(shapely.get_x(pts), dtype=float)
    y = np.asarray(shapely.get_y(pts), dtype=float)
    return _xy_to_lonlat(x, y, crs)


#: How far (degrees) beyond a CRS's published area of use a geometry may lie and still count
#: as inside: neighbouring zone strips and offshore sites stay usable, while coordinates in the
#: wrong units (degrees given as metres land near the equator) do not.
AREA_OF_USE_MARGIN_DEG = 1.5


def outside_area_of_use(
    geoseries: Any, crs: Any, margin_deg: float = AREA_OF_USE_MARGIN_DEG
) -> NDArray[np.bool_]:
    """Which geometries lie outside ``crs``'s area of use (widened by ``margin_deg``).

    Parameters
    ----------
    geoseries
        GeoSeries or GeoDataFrame with a CRS (any CRS; tested on representative points).
    crs
        The CRS whose area of use counts (the store's). A CRS that publishes no area of use
        accepts everything.

    Returns
    -------
    numpy.ndarray of bool
        True where the representative point is outside, or cannot be placed at all (missing,
        empty or non-finite).
    """
    return _outside(*to_lonlat(geoseries), CRS.from_user_input(crs), margin_deg)


def outside_own_area_of_use(
    geoms: np.ndarray, crs: CRS, margin_deg: float = AREA_OF_USE_MARGIN_DEG
) -> NDArray[np.bool_]:
    """:func:`outside_area_of_use` of geometries (an object array) in ``crs`` itself, without
    a GeoSeries around them."""
    return _outside(*_lonlat_of(np.asarray(geoms, dtype=object), crs), crs, margin_deg)


def _outside(
    lon: NDArray[np.float64], lat: NDArray[np.float64], crs: CRS, margin_deg: float
) -> NDArray[np.bool_]:
    area = crs.area_of_use
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if area is None:
        return bad
    west, south, east, north = area.bounds
    with np.errstate(invalid="ignore"):
        if west <= east:
            out_lon = (lon < west - margin_deg) | (lon > east + margin_deg)
        else:  # an area that crosses the antimeridian
            out_lon = (lon < west - margin_deg) & (lon > east + margin_deg)
        out_lat = (lat < south - margin_deg) | (lat > north + margin_deg)
    return bad | out_lon | out_lat


# --------------------------------------------------------------------------- areas


def _linear_unit_m(crs: CRS) -> float:
    for axis in crs.axis_info:
        if axis.unit_conversion_factor:
            return float(axis.unit_conversion_factor)
    return 1.0


def ground_area_m2(geoms: Any, crs: Any) -> NDArray[np.float64]:
    """Area of each geometry on the ellipsoid, in square metres.

    The planar area in a projected CRS is divided by the projection's areal scale factor
    (``pyproj.Proj(crs).get_factors(lon, lat).areal_scale``) at each geometry's centroid. The
    result agrees with the geodesic area (``pyproj.Geod.geometry_area_perimeter``) within
    0.01 % for parcels up to a few kilometres across, also at the edge of a UTM zone where the
    planar area alone is off by about 0.1 %. Geometries in a geographic CRS are first
    projected with :func:`choose_projected_crs`.

    Parameters
    ----------
    geoms
        GeoSeries or array of shapely geometries.
    crs
        CRS of ``geoms`` (anything ``pyproj.CRS.from_user_input`` accepts).

    Returns
    -------
    numpy.ndarray
        Square metres; NaN for missing, empty and non-polygonal (point, line) geometries.

    Raises
    ------
    CRSError
        If ``crs`` is missing or neither geographic nor projected.
    """
    src = require_crs(crs, "ground_area_m2's geometries")
    arr = np.asarray(getattr(geoms, "geometry", geoms), dtype=object).ravel()
    if len(arr) == 1 and isinstance(arr[0], shapely.Geometry) and src.srs:
        # one geometry (an edit): its area is checked, then written with the row; the same
        # geometry and CRS give the same area, so the second time it is looked up
        key = (src.srs, shapely.to_wkb(arr[0]))
        area = _ONE_AREA.get(key)
        if area is None:
            area = _ground_area_m2(arr, src)
            with _ONE_AREA_LOCK:  # threads of a service share it
                _ONE_AREA[key] = area
                if len(_ONE_AREA) > 256:
                    del _ONE_AREA[next(iter(_ONE_AREA))]
        return area.copy()
    return _ground_area_m2(arr, src)


#: :func:`ground_area_m2` of single geometries, by CRS text and WKB (see there).
_ONE_AREA: dict[tuple[str, bytes], NDArray[np.float64]] = {}
_ONE_AREA_LOCK = threading.Lock()


def _ground_area_m2(arr: np.ndarray, src: CRS) -> NDArray[np.float64]:
    out = np.full(len(arr), np.nan)
    type_id = shapely.get_type_id(arr)
    # three comparisons, not np.isin (~14 µs for a one-asset edit's one geometry)
    polygonal = ((type_id == 3) | (type_id == 6) | (type_id == 7)) & ~shapely.is_empty(arr)
    if not polygonal.any():
        return out
    work = arr[polygonal]
    if src.is_geographic:
        pts = shapely.point_on_surface(work)
        lon, lat = _xy_to_lonlat(shapely.get_x(pts), shapely.get_y(pts), src)
        proj_crs = choose_projected_crs(lon, lat)
        to_proj = _transformer(src, proj_crs)
        work = shapely.transform(
            work, lambda c: np.column_stack(to_proj.transform(c[:, 0], c[:, 1]))
        )
    elif src.is_projected:
        proj_crs = src
    else:
        raise CRSError(f"ground_area_m2 needs a projected or geographic CRS; got {src.name!r}")
    unit = _by_srs("unit", (proj_crs,), lambda: _linear_unit_m(proj_crs))
    planar = np.asarray(shapely.area(work), dtype=float) * unit * unit
    centre = shapely.centroid(work)
    cx = np.asarray(shapely.get_x(centre), dtype=float)
    cy = np.asarray(shapely.get_y(centre), dtype=float)
    geodetic = _geodetic(proj_crs)
    to_geo = _transformer(proj_crs, geodetic)
    lon, lat = to_geo.transform(cx, cy)
    factors = _proj(proj_crs).get_factors(np.asarray(lon), np.asarray(lat))
    scale = np.asarray(factors.areal_scale, dtype=float)
    area = np.where(planar > 0, planar / scale, np.where(planar == 0, 0.0, np.nan))
    area[~np.isfinite(scale)] = np.nan
    out[polygonal] = area
    return out


# --------------------------------------------------------------------------- mistakes


def _tm_params(crs: CRS) -> tuple[float, float] | None:
    """(central meridian, false easting in metres) of a Transverse Mercator CRS, else None."""
    op = crs.coordinate_operation
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    lon_0 = false_easting = None
    for p in op.params:
        name = p.name.lower()
        if name.startswith("longitude of natural origin") or name == "longitude of origin":
            lon_0 = float(p.value)
        elif name == "false easting":
            factor = p.unit_conversion_factor or 1.0
            false_easting = float(p.value) * float(factor)
    if lon_0 is None or false_easting is None:
        return None
    return lon_0, false_easting


def detect_swapped_axes(x: ArrayLike, y: ArrayLike, crs: Any) -> NDArray[np.bool_]:
    """Flag rows whose coordinates look swapped (survey order: north first, east second).

    Rules (``x`` is what the data call x or longitude, ``y`` what they call y or latitude):

    * Geographic CRS: ``x`` is a plausible Chinese latitude (3–54) while ``y`` is a plausible
      Chinese longitude (73–136), or ``|y| > 90`` while ``|x| <= 90``.
    * Transverse Mercator without the zone number in the easting (false easting below
      1,000,000 m: CGCS2000 EPSG:4502–4512 and 4534–4554, Beijing 1954 / Xian 1980 "CM"
      CRSs, UTM): ``x > 1,000,000`` and ``0 < y < 1,000,000``, i.e. an easting that looks
      like a northing and a northing that looks like an easting. A true northing south of
      about 9°N is below 1,000,000 m, so swaps there cannot be told.
    * Transverse Mercator with the zone number (false easting ``zone·10⁶ + 500,000``, e.g.
      EPSG:4491–4501, 4513–4533): ``y`` lies in the zone's easting band
      ``[zone·10⁶, (zone+1)·10⁶)`` while ``x`` does not.
    * Other projected CRSs: nothing is flagged.

    Returns
    -------
    numpy.ndarray of bool
        One flag per row; False where a coordinate is missing.
    """
    src = require_crs(crs, "the coordinates")
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore"):
        if src.is_geographic:
            plausible = (xa >= 3) & (xa <= 54) & (ya >= 73) & (ya <= 136)
            out_of_range = (np.abs(ya) > 90) & (np.abs(xa) <= 90)
            return np.asarray(plausible | out_of_range, dtype=bool)
        params = _tm_params(src)
        if params is None:
            return np.zeros(np.shape(xa), dtype=bool)
        _, false_easting = params
        if false_easting < 1_000_000:
            return np.asarray((xa > 1_000_000) & (ya > 0) & (ya < 1_000_000), dtype=bool)
        zone = math.floor(false_easting / 1_000_000)
        lo, hi = zone * 1_000_000, (zone + 1) * 1_000_000
        in_band_x = (xa >= lo) & (xa < hi)
        in_band_y = (ya >= lo) & (ya < hi)
        return np.asarray(in_band_y & ~in_band_x, dtype=bool)


def _crs_label(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=100)
    return f"EPSG:{code} ({crs.name})" if code else repr(crs.name)


def _is_cgcs2000(crs: CRS) -> bool:
    return crs.datum is not None and "China 2000" in crs.datum.name


def detect_zone_prefix(x: ArrayLike, crs: Any) -> str | None:
    """Say whether eastings and CRS disagree about the Gauss–Krüger zone number in front.

    Chinese Gauss–Krüger eastings are written either with the zone number in front
    (``40,512,345`` in 3° zone 40, EPSG:4528) or without it (``512,345``, EPSG:4549). This
    checks the median finite easting against the CRS's false easting.

    Parameters
    ----------
    x
        Eastings in the CRS's units.
    crs
        The CRS the eastings were declared in.

    Returns
    -------
    str or None
        A message naming the likely right CRS (for CGCS2000) and the correction, or None when
        the eastings fit, the CRS is not Transverse Mercator, or no easting is finite.
    """
    src = require_crs(crs, "the coordinates")
    params = _tm_params(src)
    xa = np.asarray(x, dtype=float).ravel()
    xa = xa[np.isfinite(xa)]
    if params is None or xa.size == 0:
        return None
    lon_0, false_easting = params
    med = float(np.median(xa))
    label = _crs_label(src)
    if false_easting < 1_000_000:
        zone = math.floor(med / 1_000_000)
        if zone in _ZONE_PREFIX_3DEG:
            cm, first, family = 3 * zone, 4513, 25
        elif zone in _ZONE_PREFIX_6DEG:
            cm, first, family = 6 * zone - 3, 4491, 13
        else:
            return None
        if _is_cgcs2000(src):
            suggestion = f"use EPSG:{first + zone - family} (CGCS2000 zone {zone})"
        else:
            suggestion = f"use the zone-{zone} CRS with the zone number in the easting"
        note = (
            ""
            if math.isclose(cm, lon_0)
            else f" Note that zone {zone} has its central meridian at {cm}°E, but "
            f"{label} is centred on {lon_0:g}°E."
        )
        return (
            f"Eastings look like they carry the Gauss–Krüger zone number {zone} in front "
            f"(median {med:,.0f} m), but {label} expects eastings without it (false easting "
            f"{false_easting:,.0f} m); {suggestion}, or subtract {zone * 1_000_000:,} m from "
            f"the eastings.{note}"
        )
    zone = math.floor(false_easting / 1_000_000)
    if 0 < med < 1_000_000:
        if _is_cgcs2000(src) and zone in _ZONE_PREFIX_3DEG:
            suggestion = f"use EPSG:{_epsg_gk3_no_prefix(round(lon_0))}"
        elif _is_cgcs2000(src) and zone in _ZONE_PREFIX_6DEG:
            suggestion = f"use EPSG:{4502 + (round(lon_0) - 75) // 6}"
        else:
            suggestion = "use the CRS of the same zone without the zone number"
        return (
            f"Eastings have no zone number in front (median {med:,.0f} m), but {label} expects "
            f"eastings of the form {zone},xxx,xxx (false easting {false_easting:,.0f} m); "
            f"{suggestion}, or add {zone * 1_000_000:,} m to the eastings."
        )
    data_zone = math.floor(med / 1_000_000)
    if data_zone != zone and (data_zone in _ZONE_PREFIX_3DEG or data_zone in _ZONE_PREFIX_6DEG):
        return (
            f"Eastings carry zone number {data_zone} (median {med:,.0f} m), but {label} is "
            f"zone {zone}; the coordinates belong to another zone's CRS."
        )
    return None


# --------------------------------------------------------------------------- GeoPackage


def _definition_wkt(crs: CRS) -> str:
    try:
        wkt1 = crs.to_wkt("WKT1_GDAL")
    except pyproj.exceptions.CRSError:
        wkt1 = None
    if wkt1 and CRS.from_wkt(wkt1).equals(crs):
        return wkt1
    wkt2 = crs.to_wkt("WKT2_2019")
    if not wkt2:  # pragma: no cover - every pyproj CRS exports WKT2
        raise CRSError(f"CRS {crs.name!r} cannot be written as WKT")
    return wkt2


def crs_to_gpkg(crs: Any) -> tuple[str, int | None, str]:
    """Describe a CRS for a GeoPackage ``gpkg_spatial_ref_sys`` row.

    A CRS that is exactly an authority's CRS (``to_authority(min_confidence=100)``) gives
    ``(authority, code, WKT1_GDAL)``, e.g. ``("EPSG", 4549, 'PROJCS[...]')``; the code is what
    readers use, the WKT1 is for GDAL's benefit (it drops the north/east axis order of the
    Gauss–Krüger CRSs, as GDAL does). Any other CRS gives ``("NONE", None, wkt)`` with its own
    definition, never relabelled with a guessed code; its WKT is WKT1_GDAL when that
    reproduces the CRS exactly, else WKT2_2019, so nothing of it is lost.

    Raises
    ------
    CRSError
        If ``crs`` is missing or cannot be read.
    """
    src = require_crs(crs, "the CRS to store")
    authority = src.to_authority(min_confidence=100)
    if authority is not None and authority[1].isdigit():
        try:
            wkt = src.to_wkt("WKT1_GDAL")
        except pyproj.exceptions.CRSError:
            wkt = None
        return authority[0], int(authority[1]), wkt or _definition_wkt(src)
    return "NONE", None, _definition_wkt(src)


def crs_from_gpkg(organization: str | None, org_id: int | None, definition: str | None) -> CRS:
    """Rebuild a CRS from a GeoPackage ``gpkg_spatial_ref_sys`` row.

    An authority code (``organization`` other than ``NONE``) is used when the authority knows
    it; otherwise the WKT ``definition``.

    Raises
    ------
    CRSError
        If neither gives a CRS (e.g. the GeoPackage's "undefined" systems, srs_id -1 and 0).
    """
    org = (organization or "").strip()
    if org and org.upper() != "NONE" and org_id is not None and int(org_id) > 0:
        try:
            return CRS.from_authority(org, int(org_id))
        except pyproj.exceptions.CRSError:
            logger.debug("%s:%s unknown to PROJ; using the WKT definition", org, org_id)
    text = (definition or "").strip()
    if text and text.lower() != "undefined":
        try:
            return CRS.from_wkt(text)
        except pyproj.exceptions.CRSError as exc:
            raise CRSError(
                f"GeoPackage spatial reference system {org or 'NONE'}:{org_id} has an "
                f"unreadable definition: {exc}"
            ) from exc
    raise CRSError(
        f"GeoPackage spatial reference system {org or 'NONE'}:{org_id} is undefined; the layer "
        "has no usable CRS"
    )
