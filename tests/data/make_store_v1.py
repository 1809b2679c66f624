"""Write ``store_v1.gpkg``: a store in the format before schema 2 (kept for the upgrade test).

It was run once with assetmatch at commit b5f9765, whose create events carry the full record
and the geometry: ``python tests/data/make_store_v1.py tests/data/store_v1.gpkg``. Running it
with a later version writes the later format, so the committed file is the reference.
"""

import sys

import geopandas as gpd
import numpy as np
from shapely.geometry import box

import assetmatch as am

LON, LAT = 118.86, 24.95


def square(x: float, y: float, side_m: float):
    d = side_m / 111000.0
    return box(x, y, x + d / np.cos(np.radians(y)), y + d)


def main(path: str) -> None:
    g = gpd.GeoDataFrame(
        {
            "asset_id": ["V-1", "V-2", "V-3"],
            "name": ["甲厂房", "乙地块", "丙厂区"],
            "kind": ["factory", "land", "campus"],
            "building_area_m2": [20000.0, 0.0, 60000.0],
            "floors": [3, None, 5],
            "status": ["idle", "available", "low_efficiency"],
            "tenure": [["lease"], ["transfer"], ["lease", "transfer"]],
            "rent_yuan_m2_month": [12.0, np.nan, 15.5],
            "land_use": ["1001", "1101", "1001"],
            "land_use_scheme": ["2020", "2020", "2020"],
            "idle_since": ["2021-03-04", None, "2022-01-01"],
            "government_delay": [True, False, False],
            "obstacles": [
                [],
                [],
                [{"kind": "planning_adjustment", "description": "调规", "delay_days": 180}],
            ],
        },
        geometry=[
            square(LON, LAT, 400),
            square(LON + 0.01, LAT, 250),
            square(LON + 0.02, LAT + 0.01, 600),
        ],
        crs="EPSG:4490",
    )
    inv = am.Inventory.open(path, author="v1")
    inv.add(g, at="2025-01-01", note="first")
    inv.update("V-1", status="negotiating", rent_yuan_m2_month=14.5, at="2025-03-01")
    moved = gpd.GeoSeries([square(LON + 0.01, LAT, 300)], crs="EPSG:4490")
    inv.update("V-2", geometry=moved, at="2025-04-01")
    inv.remove("V-3", at="2025-05-01")
    inv.close()


if __name__ == "__main__":
    main(sys.argv[1])
