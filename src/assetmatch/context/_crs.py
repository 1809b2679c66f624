"""CRS checks shared by the context computations: projected metres, same CRS, lon/lat."""

from __future__ import annotations

from typing import Any

from pyproj import CRS

from .._errors import CRSError


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
