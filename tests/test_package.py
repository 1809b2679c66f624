"""Package-level promises: a quiet import, a small public API, a demo inventory that holds up."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import assetmatch as am
from conftest import requires_validator, run_validator


def test_import_reads_no_environment_and_opens_nothing(tmp_path):
    # import the heavy dependencies first, then record what importing assetmatch itself does
    code = textwrap.dedent(
        """
        import os, sqlite3, builtins, sys
        import geopandas, pyproj, shapely, pandas, numpy, scipy, sklearn, pydantic  # noqa
        seen = []
        def mine():  # was the read made by assetmatch's own code (not a dependency's)?
            f = sys._getframe(2)
            while f is not None and (f.f_code.co_filename.endswith("os.py")
                                     or f.f_code.co_filename.startswith("<frozen")):
                f = f.f_back  # os.getenv → environ.get
            return f is not None and "/assetmatch/" in f.f_code.co_filename
        class Env(type(os.environ)):
            def __getitem__(self, k):
                if mine(): seen.append(k)
                return super().__getitem__(k)
            def get(self, k, d=None):
                if mine(): seen.append(k)
                return super().get(k, d)
        os.environ.__class__ = Env
        opened = []
        real_open = builtins.open
        def spy_open(f, *a, **k):
            opened.append(str(f)); return real_open(f, *a, **k)
        builtins.open = spy_open
        real_connect = sqlite3.connect
        def spy_connect(*a, **k):
            raise AssertionError("connected at import")
        sqlite3.connect = spy_connect
        import assetmatch
        for name in assetmatch.__all__:  # the lazy names too: their modules import quietly
            if name != "__version__":
                getattr(assetmatch, name)
        print(repr(seen)); print(repr([o for o in opened if not o.endswith('.py')]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout.splitlines()
    assert out[0] == "[]", f"environment read at import: {out[0]}"
    assert out[1] == "[]", f"files opened at import: {out[1]}"
    assert list(tmp_path.iterdir()) == []


HEAVY = ("pandas", "geopandas", "numpy", "shapely", "pyproj", "sklearn", "scipy", "pydantic")


@pytest.mark.parametrize(
    "code",
    [
        "import assetmatch",
        "import assetmatch; assetmatch.__version__; dir(assetmatch); assetmatch.ValidationError",
        "import sys; sys.argv = ['assetmatch', '--version']\n"
        "try:\n    import assetmatch.cli; assetmatch.cli.main()\nexcept SystemExit: pass",
        "import sys; sys.argv = ['assetmatch', '--help']\n"
        "try:\n    import assetmatch.cli; assetmatch.cli.main()\nexcept SystemExit: pass",
    ],
)
def test_import_and_the_cli_version_and_help_load_no_heavy_dependency(code):
    """The package's names are imported on first use (PEP 562): a bare import, the version,
    ``dir()`` and ``assetmatch --version``/``--help`` load neither pandas nor geopandas."""
    probe = f"{code}\nimport sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[-1] == "[]"


def test_the_lazy_names_are_the_real_objects():
    code = (
        "import assetmatch.match, assetmatch as am, sys\n"  # the submodule imported first
        "from assetmatch.match import match\n"
        "from assetmatch.inventory import Inventory\n"
        "print(am.match is match, am.Inventory is Inventory, 'Inventory' in dir(am),"
        " 'pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "True", "True", "True"]
    assert set(am.__all__) <= set(dir(am))
    assert callable(am.match) and am.match.__module__ == "assetmatch.match"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        am.nope  # noqa: B018


def test_public_api_is_small_and_named():
    assert "Inventory" in am.__all__
    for name in am.__all__:
        assert hasattr(am, name), name
    assert not any(n.startswith("_") and n != "__version__" for n in am.__all__)
    assert issubclass(am.ValidationError, ValueError)
    assert issubclass(am.UnknownAssetError, KeyError)
    assert issubclass(am.CRSError, ValueError)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return am.Inventory.demo(tmp_path_factory.mktemp("demo") / "demo.gpkg")


def test_demo_inventory_holds_the_public_cases(demo):
    a = demo.assets()
    assert len(a) >= 300
    assert set(a["district"]) >= {"杏东", "张坂", "惠南"}
    taifeng = a.loc["TS-0001"]
    assert taifeng["land_area_m2"] / am.MU_M2 == pytest.approx(168, rel=0.01)
    assert taifeng["building_area_m2"] == pytest.approx(60_000, rel=0.02)
    xingxun = a.loc["TS-0002"]
    assert xingxun["land_area_m2"] / am.MU_M2 == pytest.approx(156, rel=0.01)
    assert "lease_then_transfer" in xingxun["tenure"]
    liao = a.loc["TS-0003"]
    kinds = {o["kind"] for o in liao["obstacles"]}
    assert {"planning_adjustment", "land_consolidation"} <= kinds
    assert len(demo.firms()) >= 3000
    assert set(demo.layers()) >= {"highway_exit", "port", "rail_station"}
    assert len(demo.deals()) >= 30
    assert demo.as_of is not None


def test_demo_history_replays_to_the_start(demo):
    from assetmatch.demo.zone import generate_zone

    zone = generate_zone()
    first = pd.Timestamp(min(zone.events["at"])) - pd.Timedelta(days=1)
    start = demo.assets(as_of=first.date(), derived=False)
    init = zone.initial.set_index("asset_id")
    assert sorted(start.index) == sorted(init.index)
    for col in ("status", "rent_yuan_m2_month", "owner"):
        got = start[col].reindex(init.index)
        want = init[col]
        same = (got == want) | (got.isna() & want.isna())
        assert same.all(), col
    now = demo.assets(derived=False)
    final = zone.assets.set_index("asset_id")
    for col in ("status", "rent_yuan_m2_month", "owner"):
        got = now[col].reindex(final.index)
        want = final[col]
        assert ((got == want) | (got.isna() & want.isna())).all(), col


@requires_validator
def test_demo_store_passes_gdal_validator(demo):
    code, out = run_validator(demo.path)
    assert code == 0, out
