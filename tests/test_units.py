"""Tests of assetmatch.units: exact conversion factors and the unit vocabulary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmatch import units


def test_mu_is_exactly_two_thousand_thirds_of_a_square_metre():
    assert units.MU_M2 == 2000 / 3
    assert units.mu_to_m2(1.0) == pytest.approx(666.6666666666666, rel=1e-15)
    assert units.mu_to_m2(3.0) == 2000.0


def test_fifteen_mu_is_exactly_one_hectare():
    assert units.mu_to_m2(15.0) == 10_000.0
    assert units.mu_to_ha(15.0) == 1.0
    assert units.ha_to_mu(1.0) == 15.0
    assert units.m2_to_mu(10_000.0) == 15.0
    assert units.ha_to_m2(1.0) == units.HA_M2 == 10_000.0
    assert units.m2_to_ha(10_000.0) == 1.0


def test_taifeng_campus_area_in_square_metres():
    # the public case: about 168 mu of land
    assert units.mu_to_m2(168.0) == pytest.approx(112_000.0, abs=1e-9)


def test_arrays_and_series_keep_shape_index_and_nan():
    s = pd.Series([15.0, np.nan, 30.0], index=["a", "b", "c"])
    out = units.mu_to_m2(s)
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["a", "b", "c"]
    assert out["a"] == 10_000.0 and math.isnan(out["b"]) and out["c"] == 20_000.0
    arr = units.m2_to_mu(np.array([[10_000.0, np.nan]]))
    assert arr.shape == (1, 2) and arr[0, 0] == 15.0 and math.isnan(arr[0, 1])


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_area_round_trips(x):
    assert units.m2_to_mu(units.mu_to_m2(x)) == pytest.approx(x, rel=1e-12, abs=1e-9)
    assert units.ha_to_mu(units.mu_to_ha(x)) == pytest.approx(x, rel=1e-12, abs=1e-9)


def test_daily_rent_to_monthly_uses_365_over_12_days():
    assert units.DAYS_PER_MONTH == 365 / 12
    assert units.rent_day_to_month(1.0) == pytest.approx(30.416666666666668, rel=1e-15)
    assert units.rent_day_to_month(0.6) == pytest.approx(18.25, rel=1e-15)
    assert units.rent_month_to_day(18.25) == pytest.approx(0.6, rel=1e-15)


def test_total_rent_to_rent_per_square_metre():
    out = units.rent_total_to_m2_month(
        np.array([900_000.0, 5_000.0, 100.0, np.nan]), np.array([60_000.0, 0.0, np.nan, 10.0])
    )
    assert out[0] == 15.0
    assert np.isnan(out[1:]).all()
    assert units.rent_total_to_m2_month(30_000.0, 2_000.0) == 15.0
    s = units.rent_total_to_m2_month(pd.Series([100.0], index=["TS-1"]), np.array([10.0]))
    assert isinstance(s, pd.Series) and s["TS-1"] == 10.0


def test_wan_helpers():
    assert units.wan_to_yuan(1.5) == 15_000.0
    assert units.yuan_to_wan(15_000.0) == 1.5


@pytest.mark.parametrize(
    ("values", "unit", "expected"),
    [
        ([168.0], "mu", [112_000.0]),
        ([6.0], "wan_m2", [60_000.0]),
        ([1.2], "ha", [12_000.0]),
        ([0.5], "km2", [500_000.0]),
        ([0.5], "yuan_m2_day", [15.208333333333334]),
        ([180.0], "yuan_m2_year", [15.0]),
        ([30.0], "wan_yuan_mu", [300_000.0]),
        ([450.0], "yuan_m2_land", [300_000.0]),
        ([1.0], "t_m2", [9.80665]),
        ([1000.0], "kg_m2", [9.80665]),
        ([1.25], "mva", [1250.0]),
        ([800.0], "kw", [800.0]),
        ([4500.0], "mm", [4.5]),
    ],
)
def test_convert_to_canonical_units(values, unit, expected):
    np.testing.assert_allclose(units.convert(values, unit), expected, rtol=1e-12)


def test_convert_real_power_with_a_power_factor():
    np.testing.assert_allclose(units.convert([800.0], "kw", power_factor=0.8), [1000.0])
    with pytest.raises(ValueError, match="power_factor"):
        units.convert([800.0], "kw", power_factor=1.5)


def test_convert_total_rent_needs_building_areas():
    with pytest.raises(ValueError, match=r"'wan_yuan_month_total'.*building_area_m2"):
        units.convert([90.0], "wan_yuan_month_total")
    out = units.convert(
        [90.0, 1.0, 3.0], "wan_yuan_month_total", building_area_m2=[60_000.0, 0.0, None]
    )
    assert out[0] == 15.0 and np.isnan(out[1]) and np.isnan(out[2])
    np.testing.assert_allclose(
        units.convert([1_200_000.0], "yuan_year_total", building_area_m2=[10_000.0]), [10.0]
    )


def test_convert_unknown_unit_names_it():
    with pytest.raises(ValueError, match="Unknown unit 'acre'"):
        units.convert([1.0], "acre")
    with pytest.raises(ValueError, match="Unknown unit 'acre'"):
        units.dimension_of("acre")


def test_convert_refuses_text_and_keeps_missing_values():
    out = units.convert([1.0, None, np.nan, "2"], "mu")
    np.testing.assert_allclose(out, [2000 / 3, np.nan, np.nan, 4000 / 3])
    with pytest.raises(ValueError, match=r"not numbers.*'about 5'"):
        units.convert([1.0, "about 5"], "mu")


def test_vocabulary_is_consistent():
    required = {
        "m2", "mu", "ha", "wan_m2", "km2", "yuan_m2_month", "yuan_m2_day", "yuan_month_total",
        "wan_yuan_month_total", "yuan_mu", "wan_yuan_mu", "yuan_m2_land", "m", "kn_m2",
        "t_m2", "kg_m2", "kva", "kw", "mva",
    }  # fmt: skip
    assert required <= set(units.UNITS)
    for key, (dimension, factor) in units.UNITS.items():
        assert dimension in units.CANONICAL_UNITS, key
        assert factor > 0, key
    for dimension, canonical in units.CANONICAL_UNITS.items():
        assert units.UNITS[canonical] == (dimension, 1.0)
    assert set(units.UNITS) >= units.TOTAL_RENT_UNITS
    assert units.dimension_of("wan_yuan_mu") == "land_price"
