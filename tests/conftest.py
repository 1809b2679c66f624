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


# ------------------------------------------------------------------ both stores

PG_HOW = (
    "no PostgreSQL server with PostGIS for the PostGIS tests (and the PostGIS half of the store "
    "conformance suite): "
    "run ./run.sh test, or set ASSETMATCH_TEST_PG_URL=postgresql://user@host:5432/postgres "
    "(a role that may create databases)"
)


@pytest.fixture(scope="session")
def pg_admin_conn():
    """An autocommit connection to the test server's admin database, or a skip saying how."""
    import os

    url = os.environ.get("ASSETMATCH_TEST_PG_URL")
    if not url:
        pytest.skip(PG_HOW)
    psycopg = pytest.importorskip("psycopg", reason="pip install 'assetmatch[postgis]'")
    from assetmatch.store.pgurl import parse_pg_url

    target = parse_pg_url(url)
    try:
        conn = psycopg.connect(target.conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.Error:
        pytest.skip(f"{PG_HOW} ({target} did not answer)")
    yield target, conn
    conn.close()


@pytest.fixture(params=["gpkg", "postgis"])
def store_kind(request) -> str:
    """The store the conformance tests run on: each runs once per kind."""
    return request.param


@pytest.fixture
def new_store(store_kind, tmp_path, request):
    """A factory of fresh, empty store locations of the parametrised kind.

    ``new_store()`` gives a GeoPackage path under ``tmp_path``, or the URL of a new throwaway
    PostGIS database (dropped when the test ends); ``Inventory.open`` takes either.
    """
    import uuid

    made: list[str] = []
    count = iter(range(1_000_000))
    admin = None
    if store_kind == "postgis":
        admin = request.getfixturevalue("pg_admin_conn")

    def make(name: str = "zone") -> Path | str:
        if store_kind == "gpkg":
            return tmp_path / f"{name}-{next(count)}.gpkg"
        target, conn = admin
        db = f"am_conf_{uuid.uuid4().hex[:12]}"
        conn.execute(f'CREATE DATABASE "{db}"')
        made.append(db)
        return f"postgresql://{target.user}@{target.host}:{target.port}/{db}"

    yield make
    if admin is not None:
        _, conn = admin
        for db in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture
def demo_on_store(new_store):
    """The demo zone on each kind of store (a GeoPackage, a PostGIS database): the open
    inventory and where it is."""
    import assetmatch as am

    path = new_store()
    inv = am.Inventory.demo(path)
    yield inv, path
    inv.close()


@pytest.fixture
def store(new_store):
    """One fresh, empty store location of the parametrised kind (GeoPackage path or PostGIS URL)."""
    return new_store()


# ------------------------------------------------------------------ sites with exact sizes


def point_zone(rows: list[dict]) -> gpd.GeoDataFrame:
    """Hand-built sites as points with declared areas, so land sizes are exact.

    Each row gives ``asset_id``, ``land_mu`` and any canonical fields (status, rent…);
    the points lie 1 km apart near the zone (CGCS2000 lon/lat). Bare land unless a row
    says otherwise.
    """
    from shapely.geometry import Point

    recs = []
    for r in rows:
        rec = {k: v for k, v in r.items() if k != "land_mu"}
        rec["declared_land_area_m2"] = r["land_mu"] * 2000 / 3
        rec.setdefault("building_area_m2", 0.0)
        rec.setdefault("status", "available")
        recs.append(rec)
    geom = [Point(118.80 + 0.01 * i, 24.80) for i in range(len(rows))]
    return gpd.GeoDataFrame(recs, geometry=geom, crs="EPSG:4490")
