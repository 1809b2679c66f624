"""The store contract (store/base.py) matches what the inventory calls and what stores offer."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import assetmatch
from assetmatch.store.base import GPKG_ONLY, Store
from assetmatch.store.gpkg import GpkgStore

SRC = Path(assetmatch.__file__).parent
CONTRACT = {
    name
    for name, value in vars(Store).items()
    if not name.startswith("_") and (callable(value) or isinstance(value, property))
} | {"engine"}


def _store_members_used(path: Path) -> set[str]:
    """Attributes read on ``self._store`` anywhere in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_store"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
        ):
            used.add(node.attr)
    return used


def test_everything_the_inventory_asks_of_its_store_is_in_the_contract():
    used = _store_members_used(SRC / "inventory.py")
    assert used, "the inventory no longer reaches its store through self._store"
    assert used - CONTRACT - GPKG_ONLY == set()


@pytest.mark.parametrize("name", sorted(CONTRACT - {"engine", "crs"}))
def test_gpkg_store_has_each_method_with_the_same_parameters(name):
    want = inspect.signature(getattr(Store, name))
    got = inspect.signature(getattr(GpkgStore, name))
    assert [(p.name, p.kind) for p in got.parameters.values()] == [
        (p.name, p.kind) for p in want.parameters.values()
    ]


def test_a_real_gpkg_store_is_a_store(tmp_path):
    store = GpkgStore(tmp_path / "s.gpkg")
    try:
        assert isinstance(store, Store)
        assert store.engine == "gpkg"
        assert isinstance(type(store).crs, property)
    finally:
        store.close()


#: What the PostGIS store does not have yet (the test below fails when one arrives: update it).
POSTGIS_NOT_YET: set[str] = set()
POSTGIS_SO_FAR = sorted(CONTRACT - {"engine", "crs"} - POSTGIS_NOT_YET)


def test_postgis_store_lacks_exactly_what_is_listed_as_not_yet():
    from assetmatch.store.postgis import PostGisStore

    assert {n for n in CONTRACT if not hasattr(PostGisStore, n)} == POSTGIS_NOT_YET


@pytest.mark.parametrize("name", POSTGIS_SO_FAR)
def test_postgis_store_methods_so_far_follow_the_contract(name):
    from assetmatch.store.postgis import PostGisStore

    want = inspect.signature(getattr(Store, name))
    got = inspect.signature(getattr(PostGisStore, name))
    assert [(p.name, p.kind) for p in got.parameters.values()] == [
        (p.name, p.kind) for p in want.parameters.values()
    ]
    assert isinstance(PostGisStore.crs, property) and PostGisStore.engine == "postgis"


def test_gpkg_store_keeps_only_a_crs_read_committed(tmp_path):
    """GpkgStore.crs keeps the CRS of an srs_id read outside a transaction; one set and read in
    a transaction that rolls back is not kept (its srs_id may come back with another CRS)."""
    from pyproj import CRS

    store = GpkgStore(tmp_path / "s.gpkg")
    try:
        with pytest.raises(RuntimeError), store.transaction():
            store.set_crs(CRS.from_epsg(4549))
            assert store.crs == CRS.from_epsg(4549)
            raise RuntimeError("stop")
        assert store.crs is None
        with store.transaction():
            store.set_crs(CRS.from_epsg(4547))
        assert store.crs == CRS.from_epsg(4547)
        assert store.crs is store.crs  # kept once read committed
    finally:
        store.close()
