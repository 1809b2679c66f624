"""Shared fixtures: tiny hand-built parcels near the Quanzhou Taiwanese Investment Zone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon, box

VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
SYSTEM_PYTHON = "/usr/bin/python3"

# a point in the zone, east of 118.5°E: CGCS2000 3° GK zone 120°E (EPSG:4549)
LON0, LAT0 = 118.86, 24.95


def square_lonlat(lon: float, lat: float, side_m: float) -> Polygon:
    """An approximately square lon/lat polygon of about ``side_m`` metres a side."""
    dlat = side_m / 111_000.0
    dlon = side_m / (111_000.0 * np.cos(np.radians(lat)))
    return box(lon, lat, lon + dlon, lat + dlat)


def geodesic_area_m2(geom_lonlat: Polygon) -> float:
    """Area on the ellipsoid (pyproj's geodesic area), the independent reference."""
    area, _ = Geod(ellps="GRS80").geometry_area_perimeter(geom_lonlat)
    return abs(area)


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    """Three parcels in EPSG:4490 (CGCS2000 lon/lat) with canonical columns."""
    geoms = [
        square_lonlat(LON0, LAT0, 400),
        square_lonlat(LON0 + 0.01, LAT0, 250),
        square_lonlat(LON0 + 0.02, LAT0 + 0.01, 600),
    ]
    return gpd.GeoDataFrame(
        {
            "asset_id": ["A-1", "A-2", "A-3"],
            "name": ["甲厂房", "乙地块", "丙厂区"],
            "kind": ["factory", "land", "campus"],
            "building_area_m2": [20_000.0, 0.0, 60_000.0],
            "status": ["idle", "available", "low_efficiency"],
            "tenure": [["lease"], ["transfer"], ["lease", "transfer"]],
            "rent_yuan_m2_month": [12.0, np.nan, 15.5],
            "land_use": ["1001", "1101", "1001"],
            "land_use_scheme": ["2020", "2020", "2020"],
            "district": ["张坂", "杏东", "惠南"],
            "obstacles": [
                [],
                [],
                [{"kind": "planning_adjustment", "description": "调规", "delay_days": 180}],
            ],
        },
        geometry=geoms,
        crs="EPSG:4490",
    )


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "zone.gpkg"


def have_ogrinfo() -> bool:
    return shutil.which("ogrinfo") is not None


def ogr_layers(path: Path) -> dict[str, dict[str, str]]:
    """Layer → {'count': feature count, 'crs': authority or WKT head} as GDAL's ogrinfo reads it."""
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    ).stdout
    layers: dict[str, dict[str, str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("Layer name:"):
            current = line.split(":", 1)[1].strip()
            layers[current] = {}
        elif current and line.startswith("Feature Count:"):
            layers[current]["count"] = line.split(":", 1)[1].strip()
        elif current and line.startswith('    ID["EPSG",'):  # the root CRS's id (indent 4)
            layers[current]["crs_id"] = line.strip()
    return layers


def run_validator(path: Path) -> tuple[int, str]:
    """GDAL's own GeoPackage validator (Debian's python3-gdal), run by the system Python."""
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(VALIDATOR), str(path)], capture_output=True, text=True
    )
    return proc.returncode, proc.stdout + proc.stderr


requires_ogr = pytest.mark.skipif(
    not have_ogrinfo(), reason="GDAL's ogrinfo is not installed (apt-get install gdal-bin)"
)
requires_validator = pytest.mark.skipif(
    not VALIDATOR.exists() or not Path(SYSTEM_PYTHON).exists(),
    reason="GDAL's validate_gpkg.py is not installed (apt-get install python3-gdal)",
)
