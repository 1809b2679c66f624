"""Coordinates of Chinese web maps: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu).

Web maps in mainland China publish longitude/latitude with a deliberate, non-linear offset of
a few hundred metres. A point of interest copied from Amap or Baidu must be converted before it
is compared with survey data in CGCS2000 or WGS 84.

* The forward GCJ-02 transform is the public "eviltransform" formula on the Krasovsky 1940
  ellipsoid (``a = 6378245``, ``ee = 0.00669342162296594323``). Points outside the rough
  rectangle around China (longitude 72.004–137.8347°E, latitude 0.8293–55.8271°N) are
  returned unchanged, as the web maps do.
* BD-09 is GCJ-02 with a second, small polar distortion; that formula is applied everywhere.
* The inverses (GCJ-02 → WGS 84, BD-09 → GCJ-02) have no closed form. They are solved by
  fixed-point iteration from the usual approximate inverse until the forward transform of the
  result matches the input within 1e-10 degrees (about 0.01 mm), at most 30 iterations.

WGS 84 and CGCS2000 differ by a few centimetres at most in China, far below the accuracy of any
web-map point; they are treated as identical here.

All functions take scalars or NumPy arrays of longitudes and latitudes in degrees and return a
``(lon, lat)`` pair of the same shape (floats for scalar input). NaN passes through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assetmatch._errors import ValidationError

logger = logging.getLogger(__name__)

_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
_X_PI: Final = np.pi * 3000.0 / 180.0
_TOL_DEG: Final = 1e-10
_MAX_ITER: Final = 30

Coords = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
#: Coordinate systems accepted by :func:`to_wgs84`.
SYSTEMS: Final[tuple[str, ...]] = ("wgs84", "cgcs2000", "gcj02", "bd09")

_Pair = tuple[NDArray[np.float64], NDArray[np.float64]]
#: ``(lon, lat)``: floats for scalar input, arrays otherwise.
LonLat = tuple[float, float] | _Pair


def _as_arrays(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[int, ...]]:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return x.ravel().copy(), y.ravel().copy(), x.shape


def _back(lon: NDArray[np.float64], lat: NDArray[np.float64], shape: tuple[int, ...]) -> LonLat:
    if shape == ():
        return float(lon[0]), float(lat[0])
    return lon.reshape(shape), lat.reshape(shape)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where a point lies outside the rectangle in which GCJ-02 applies."""
    x, y, shape = _as_arrays(lon, lat)
    outside = (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)
    return outside.reshape(shape)


def _gcj_offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS 84 points (eviltransform formula)."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    inside = ~out_of_china(x, y) & np.isfinite(x) & np.isfinite(y)
    gx, gy = x.copy(), y.copy()
    if inside.any():
        dlon, dlat = _gcj_offset(x[inside], y[inside])
        gx[inside] += dlon
        gy[inside] += dlat
    return gx, gy


def _gcj_to_bd(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    x = x - 0.0065
    y = y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    start: _Pair,
    what: str,
) -> _Pair:
    """Solve forward(u, v) = (x, y) by fixed-point iteration u ← u − (forward(u) − x)."""
    ux, uy = start[0].copy(), start[1].copy()
    active = np.isfinite(x) & np.isfinite(y)
    for _ in range(_MAX_ITER):
        if not active.any():
            break
        fx, fy = forward(ux[active], uy[active])
        ex, ey = fx - x[active], fy - y[active]
        ux[active] -= ex
        uy[active] -= ey
        done = (np.abs(ex) < _TOL_DEG) & (np.abs(ey) < _TOL_DEG)
        idx = np.flatnonzero(active)
        active[idx[done]] = False
    if active.any():  # pragma: no cover - the map is a contraction; never seen in practice
        logger.warning("%s: %d points did not converge below 1e-10°", what, int(active.sum()))
    return ux, uy


def _gcj_to_wgs(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    inside = ~out_of_china(x, y) & np.isfinite(x) & np.isfinite(y)
    wx, wy = x.copy(), y.copy()
    if inside.any():
        xi, yi = x[inside], y[inside]
        dlon, dlat = _gcj_offset(xi, yi)
        wx[inside], wy[inside] = _invert(
            _wgs_to_gcj, xi, yi, (xi - dlon, yi - dlat), "gcj02_to_wgs84"
        )
    return wx, wy


def _bd_to_gcj(x: NDArray[np.float64], y: NDArray[np.float64]) -> _Pair:
    return _invert(_gcj_to_bd, x, y, _bd_to_gcj_approx(x, y), "bd09_to_gcj02")


# --------------------------------------------------------------------------- public


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS 84 (or CGCS2000) lon/lat to GCJ-02 (Amap/Gaode, Tencent).

    Points outside China are returned unchanged.
    """
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_wgs_to_gcj(x, y), shape)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat to WGS 84, iterating until the round trip is within 1e-10°.

    Points outside China are returned unchanged.
    """
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_gcj_to_wgs(x, y), shape)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu)."""
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_gcj_to_bd(x, y), shape)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 (Baidu) lon/lat to GCJ-02, iterating until the round trip is within 1e-10°."""
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_bd_to_gcj(x, y), shape)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS 84 (or CGCS2000) lon/lat to BD-09 (Baidu), through GCJ-02."""
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_gcj_to_bd(*_wgs_to_gcj(x, y)), shape)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 (Baidu) lon/lat to WGS 84, through GCJ-02."""
    x, y, shape = _as_arrays(lon, lat)
    return _back(*_gcj_to_wgs(*_bd_to_gcj(x, y)), shape)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, system: str) -> LonLat:
    """Convert lon/lat given in ``system`` to WGS 84.

    Parameters
    ----------
    lon, lat
        Degrees, scalars or arrays.
    system
        ``"wgs84"`` or ``"cgcs2000"`` (returned as they are: the two agree within centimetres),
        ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu).

    Raises
    ------
    assetmatch.ValidationError
        If ``system`` is not one of those.
    """
    key = str(system).lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "cgcs2000"):
        x, y, shape = _as_arrays(lon, lat)
        return _back(x, y, shape)
    if key == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if key == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValidationError(
        f"The 'system' parameter of to_wgs84 must be one of {', '.join(SYSTEMS)}. "
        f"Got {system!r} instead."
    )
