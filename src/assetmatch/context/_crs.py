"""CRS checks shared by the context computations: projected metres, same CRS, lon/lat."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from pyproj import CRS

from .._errors import CRSError

logger = logging.getLogger(__name__)


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


def _project_lonlat(
    assets: Any, what: str = "assets", target: Any = None
) -> tuple[Any, CRS | None, CRS | None]:
    """Project ``assets`` given in longitude/latitude to a CRS in metres.

    The CRS is ``target`` when given (e.g. a prepared firm index's), otherwise the store's rule
    (:func:`assetmatch.geo.crs.choose_projected_crs`: the CGCS2000 3° Gauss–Krüger zone of the
    median longitude in China, else the WGS 84 UTM zone); the choice is logged. Assets in a
    projected CRS, or without one, come back unchanged (the checks that follow name the
    problem).

    Returns
    -------
    assets, geographic_crs, projected_crs
        The assets in metres, the lon/lat CRS they came in (``None`` when they were not in
        lon/lat) and the CRS chosen (``None`` likewise).
    """
    crs = getattr(assets, "crs", None)
    if crs is None:
        return assets, None, None
    crs = CRS.from_user_input(crs)
    if not crs.is_geographic:
        return assets, None, None
    from ..geo.crs import choose_projected_crs, to_lonlat

    if target is None:
        lon, lat = to_lonlat(assets.geometry) if len(assets) else ([], [])
        if len(lon) and (pd.notna(lon) & pd.notna(lat)).any():
            target = choose_projected_crs(lon, lat)
        else:  # nothing located: no distance is measured, any CRS in metres will do
            target = CRS.from_epsg(3395)
    target = CRS.from_user_input(target)
    logger.info(
        "%s: %d in %s (degrees) projected to %s for distances and areas in metres",
        what,
        len(assets),
        _crs_name(crs),
        _crs_name(target),
    )
    return assets.to_crs(target), crs, target
