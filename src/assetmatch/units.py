"""Units of the domain and their conversions.

Chinese inventories mix units freely: land in mu (亩), hectares or square metres, buildings in
square metres or 万㎡, rent per square metre per day or per month or as a monthly total, land
prices in 万元 per mu. Every quantity stored by assetmatch has one canonical unit per
dimension, written in its column name:

============  ===================  ================================================
dimension     canonical unit       meaning
============  ===================  ================================================
area          ``m2``               square metres
rent          ``yuan_m2_month``    yuan per square metre of building per month
land_price    ``yuan_mu``          yuan per mu of land (also used for per-mu tax and output)
length        ``m``                metres
floor_load    ``kn_m2``            kilonewtons per square metre (= kPa)
power         ``kva``              kilovolt-amperes (apparent power)
share         ``fraction``         a part of a whole, 0–1 (``percent`` reads 35 as 0.35)
============  ===================  ================================================

The conversion functions accept Python scalars, NumPy arrays and pandas Series; a Series keeps
its index. NaN passes through unchanged.
"""

from __future__ import annotations

import logging
from typing import Final, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from ._errors import ValidationError, wrong_type

logger = logging.getLogger(__name__)

#: One mu (亩) in square metres, exactly 2000/3.
MU_M2: Final[float] = 2000 / 3
#: One hectare in square metres.
HA_M2: Final[float] = 10_000.0
#: Mean days per month used to convert daily rents (365/12 = 30.4166…).
DAYS_PER_MONTH: Final[float] = 365 / 12
#: One 万 (wan) = 10,000.
WAN: Final[float] = 10_000.0
#: Standard gravity, for tonnes-force and kilograms-force per square metre.
STANDARD_GRAVITY_M_S2: Final[float] = 9.80665

Quantity = TypeVar("Quantity", float, np.ndarray, pd.Series)


# --------------------------------------------------------------------------- areas


def mu_to_m2(x: Quantity) -> Quantity:
    """Convert mu (亩) to square metres (× 2000/3; 15 mu is exactly 10,000 m²)."""
    try:
        return x * 2000.0 / 3.0
    except TypeError:
        raise wrong_type("x", "a number, an array or a Series", x, of="mu_to_m2") from None


def m2_to_mu(x: Quantity) -> Quantity:
    """Convert square metres to mu (亩) (× 3/2000)."""
    try:
        return x * 3.0 / 2000.0
    except TypeError:
        raise wrong_type("x", "a number, an array or a Series", x, of="m2_to_mu") from None


def m2_to_ha(x: Quantity) -> Quantity:
    """Convert square metres to hectares (÷ 10,000)."""
    return x / HA_M2


def ha_to_m2(x: Quantity) -> Quantity:
    """Convert hectares to square metres (× 10,000)."""
    return x * HA_M2


def mu_to_ha(x: Quantity) -> Quantity:
    """Convert mu (亩) to hectares (÷ 15; 15 mu is exactly one hectare)."""
    return x / 15.0


def ha_to_mu(x: Quantity) -> Quantity:
    """Convert hectares to mu (亩) (× 15)."""
    return x * 15.0


# --------------------------------------------------------------------------- money


def wan_to_yuan(x: Quantity) -> Quantity:
    """Convert an amount in 万元 (ten thousand yuan) to yuan (× 10,000)."""
    return x * WAN


def yuan_to_wan(x: Quantity) -> Quantity:
    """Convert an amount in yuan to 万元 (ten thousand yuan) (÷ 10,000)."""
    return x / WAN


# --------------------------------------------------------------------------- rents


def rent_day_to_month(yuan_m2_day: Quantity) -> Quantity:
    """Convert a rent in yuan/m²/day to yuan/m²/month (× 365/12)."""
    return yuan_m2_day * 365.0 / 12.0


def rent_month_to_day(yuan_m2_month: Quantity) -> Quantity:
    """Convert a rent in yuan/m²/month to yuan/m²/day (× 12/365)."""
    return yuan_m2_month * 12.0 / 365.0


def rent_total_to_m2_month(
    total_yuan_month: float | np.ndarray | pd.Series,
    building_area_m2: float | np.ndarray | pd.Series,
) -> float | np.ndarray | pd.Series:
    """Convert a total monthly rent of a whole building to a rent per square metre.

    Parameters
    ----------
    total_yuan_month
        Rent of the whole asset in yuan per month.
    building_area_m2
        Floor area the rent is paid for, in square metres.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Rent in yuan per square metre per month; NaN where the area is missing, zero or
        negative. A Series is returned when ``total_yuan_month`` is a Series (with its
        index), a float when both inputs are scalars, otherwise an array.
    """
    total = np.asarray(total_yuan_month, dtype=float)
    area = np.asarray(building_area_m2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(area > 0, total / np.where(area > 0, area, 1.0), np.nan)
    if isinstance(total_yuan_month, pd.Series):
        return pd.Series(out, index=total_yuan_month.index, name=total_yuan_month.name)
    if out.ndim == 0:
        return float(out)
    return out


# --------------------------------------------------------------------------- vocabulary


class Unit(NamedTuple):
    """A unit: its dimension and the factor that converts it to the dimension's canonical unit."""

    dimension: str
    factor: float


#: Canonical unit of each dimension.
CANONICAL_UNITS: Final[dict[str, str]] = {
    "area": "m2",
    "rent": "yuan_m2_month",
    "land_price": "yuan_mu",
    "length": "m",
    "floor_load": "kn_m2",
    "power": "kva",
    "share": "fraction",
}

#: Unit key → (dimension, factor to the canonical unit of that dimension).
#:
#: ``yuan_month_total``, ``wan_yuan_month_total`` and the ``*_year_total`` units are rents of a
#: whole asset; their factor converts to yuan per month and :func:`convert` then divides by the
#: building area. ``kw`` and ``mw`` assume a power factor of 1 (kW = kVA) unless
#: :func:`convert` is given another ``power_factor``.
UNITS: Final[dict[str, Unit]] = {
    # area → m2
    "m2": Unit("area", 1.0),
    "mu": Unit("area", MU_M2),
    "ha": Unit("area", HA_M2),
    "wan_m2": Unit("area", WAN),
    "km2": Unit("area", 1_000_000.0),
    # rent → yuan per m2 of building per month
    "yuan_m2_month": Unit("rent", 1.0),
    "yuan_m2_day": Unit("rent", DAYS_PER_MONTH),
    "yuan_m2_year": Unit("rent", 1.0 / 12.0),
    "yuan_month_total": Unit("rent", 1.0),
    "wan_yuan_month_total": Unit("rent", WAN),
    "yuan_year_total": Unit("rent", 1.0 / 12.0),
    "wan_yuan_year_total": Unit("rent", WAN / 12.0),
    # land price → yuan per mu
    "yuan_mu": Unit("land_price", 1.0),
    "wan_yuan_mu": Unit("land_price", WAN),
    "yuan_m2_land": Unit("land_price", MU_M2),
    "wan_yuan_m2_land": Unit("land_price", WAN * MU_M2),
    "yuan_ha": Unit("land_price", MU_M2 / HA_M2),
    "wan_yuan_ha": Unit("land_price", WAN * MU_M2 / HA_M2),
    # length → m
    "m": Unit("length", 1.0),
    "cm": Unit("length", 0.01),
    "mm": Unit("length", 0.001),
    "km": Unit("length", 1000.0),
    # floor load → kN/m2
    "kn_m2": Unit("floor_load", 1.0),
    "t_m2": Unit("floor_load", STANDARD_GRAVITY_M_S2),
    "kg_m2": Unit("floor_load", STANDARD_GRAVITY_M_S2 / 1000.0),
    # power → kVA
    "kva": Unit("power", 1.0),
    "mva": Unit("power", 1000.0),
    "kw": Unit("power", 1.0),
    "mw": Unit("power", 1000.0),
    # share → fraction 0-1
    "fraction": Unit("share", 1.0),
    "percent": Unit("share", 0.01),
}

#: Units that give a rent for the whole asset and need its building area to become per m².
TOTAL_RENT_UNITS: Final[frozenset[str]] = frozenset(
    {"yuan_month_total", "wan_yuan_month_total", "yuan_year_total", "wan_yuan_year_total"}
)
#: Units of real power, converted to apparent power with a power factor.
REAL_POWER_UNITS: Final[frozenset[str]] = frozenset({"kw", "mw"})


def dimension_of(unit: str) -> str:
    """Return the dimension (``"area"``, ``"rent"``, …) of a unit key.

    Raises
    ------
    ValueError
        If the unit key is unknown; the message lists the known keys.
    """
    try:
        return UNITS[unit].dimension
    except KeyError:
        raise ValidationError(
            f"Unknown unit {unit!r}; expected one of {', '.join(sorted(UNITS))}."
        ) from None


def convert(
    values: float | np.ndarray | pd.Series | list[float],
    unit: str,
    *,
    building_area_m2: float | np.ndarray | pd.Series | list[float] | None = None,
    power_factor: float = 1.0,
) -> np.ndarray:
    """Convert values to the canonical unit of their dimension.

    Parameters
    ----------
    values
        Numbers in ``unit``; NaN and None become NaN.
    unit
        A key of :data:`UNITS`, e.g. ``"mu"``, ``"yuan_m2_day"``, ``"wan_yuan_mu"``.
    building_area_m2
        Floor area in square metres, required for the total-rent units
        (:data:`TOTAL_RENT_UNITS`); rows where it is missing or zero become NaN.
    power_factor
        Ratio of real to apparent power used for ``kw`` and ``mw`` (kVA = kW / power factor).
        The default 1 treats kW and kVA as equal, which overstates nothing but ignores
        reactive load; give the site's design power factor (often 0.85–0.9) when known.

    Returns
    -------
    numpy.ndarray
        Float array in the canonical unit of the dimension (see :data:`CANONICAL_UNITS`).

    Raises
    ------
    ValueError
        If the unit is unknown, a total rent comes without building areas, or the power
        factor is not in (0, 1].
    """
    if unit not in UNITS:
        raise ValidationError(f"Unknown unit {unit!r}; expected one of {', '.join(sorted(UNITS))}.")
    dimension, factor = UNITS[unit]
    raw = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    numbers = pd.to_numeric(raw, errors="coerce")
    unreadable = numbers.isna() & raw.notna()
    if unreadable.any():
        first = raw[unreadable].iloc[0]
        raise ValidationError(
            f"convert() got {int(unreadable.sum())} value(s) that are not numbers, e.g. "
            f"{first!r}; parse them before converting from {unit!r}."
        )
    out = numbers.to_numpy(dtype=float).reshape(np.shape(values)) * factor
    if unit in REAL_POWER_UNITS:
        if not 0.0 < power_factor <= 1.0:
            raise ValidationError(
                f"The 'power_factor' parameter of convert must be in (0, 1]. "
                f"Got {power_factor!r} instead."
            )
        out = out / power_factor
    if unit in TOTAL_RENT_UNITS:
        if building_area_m2 is None:
            raise ValidationError(
                f"Unit {unit!r} is a rent for the whole asset; pass building_area_m2 to "
                "convert it to yuan per m² per month."
            )
        area = np.asarray(building_area_m2, dtype=float)
        out = np.asarray(rent_total_to_m2_month(out, area), dtype=float)
    logger.debug("converted %d values from %s to %s", out.size, unit, CANONICAL_UNITS[dimension])
    return out
