"""The ``assetmatch`` command, through typer's CliRunner (stdout and stderr apart) and as a
real console script in a subprocess."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

import assetmatch as am
from assetmatch.cli import app
from assetmatch.demo import PUBLIC_BRIEFS

ROOT = Path(__file__).resolve().parents[1]
BRIEF = PUBLIC_BRIEFS["hengzhong"]
runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.gpkg"
    am.Inventory.demo(path).close()
    return path


@pytest.fixture(scope="module")
def brief_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "hengzhong.json"
    path.write_text(json.dumps(BRIEF, ensure_ascii=False), encoding="utf-8")
    return path


def _flat(text: str) -> str:
    """Help text without the boxes and line breaks rich draws around it."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "│─╭╮╰╯")


def _columns_before(line: str, i: int) -> int:
    """Terminal columns taken by ``line[:i]`` (wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i])


def _script() -> str:
    exe = Path(sys.executable).with_name("assetmatch")
    return str(exe) if exe.exists() else shutil.which("assetmatch") or "assetmatch"


# ---------------------------------------------------------------------- global options
def test_version_is_the_package_version():
    r = run("--version")
    assert r.exit_code == 0
    assert r.stdout.strip() == f"assetmatch {am.__version__}"
    assert r.stderr == ""


def test_help_in_both_languages_names_the_exit_codes():
    zh, en = run("--help"), run("--lang", "en", "--help")
    assert zh.exit_code == en.exit_code == 0
    assert "退出码" in zh.stdout and "按需求为库内场地排名" in _flat(zh.stdout)
    assert "Exit codes:" in en.stdout and "Rankthestore'ssites" in _flat(en.stdout)
    assert "退出码" not in en.stdout
    # option help is translated too
    assert "经纬度取自网络地图时" in _flat(run("import", "--help").stdout)
    assert "Lon/latweretakenfromwebmaps" in _flat(run("--lang", "en", "import", "--help").stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--pdf-out", "x.pdf"],  # unknown option
        ["match"],  # missing arguments
        ["match", "s.gpkg", "b.json", "--top", "0"],  # out of range
        ["import", "s.gpkg", "f.xlsx", "--coords", "wgs72"],  # not a choice
        ["no-such-command"],
    ],
)
def test_bad_arguments_exit_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


# ---------------------------------------------------------------------- match
def test_match_json_is_exactly_to_dict(store, brief_file):
    r = run("match", store, brief_file, "--json", "--top", "3")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)  # nothing but the document on stdout
    with am.Inventory.open(store, create=False) as inv:
        want = am.match(BRIEF, inventory=inv, top=3, lang="zh").to_dict()
    assert got == want
    assert [x["asset_id"] for x in got["results"]] == ["TS-0001", "TS-0006", "TS-0230"]


def test_match_global_lang_reaches_the_result(store, brief_file):
    r = run("--lang", "en", "match", store, brief_file, "--json", "--top", "1")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["lang"] == "en"


def test_match_table_for_people_from_stdin(store):
    r = run("--lang", "en", "match", store, "-", "--top", "2", input=json.dumps(BRIEF))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"top 2 of 3 sites fitting the brief of {BRIEF['investor']}")
    assert lines[1].split()[:3] == ["Rank", "ID", "Name"]
    assert lines[2].split()[:4] == ["1", "TS-0001", "泰丰闲置厂区", "杏东"]
    assert lines[2].split()[4:6] == ["168", "60,000"]  # the words helper rounds mu
    assert lines[3].split()[1] == "TS-0006"
    # the columns line up, Chinese names counted double width
    col = [_columns_before(line, line.rindex("杏东")) for line in lines[2:4]]
    assert col[0] == col[1]
    assert "near misses:" in lines


def test_match_invalid_brief_exits_1_naming_the_field(store):
    r = run("match", store, '{"land_area_mu": [1, "x"]}')
    assert r.exit_code == 1
    assert "land_area_mu" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_match_missing_store_exits_3_and_creates_nothing(tmp_path, brief_file):
    r = run("match", tmp_path / "none.gpkg", brief_file)
    assert r.exit_code == 3
    assert r.stderr.count("\n") == 1 and "none.gpkg" in r.stderr
    assert not (tmp_path / "none.gpkg").exists()


def test_match_reads_a_chinese_brief_when_the_library_can(store):
    text = "教育项目，需要工业或教育用地约160亩，现有厂房5万平方米以上，三个月内入驻"
    r = run("match", store, text, "--json", "--top", "3")
    if not hasattr(am.Requirements, "from_text"):
        assert r.exit_code == 2 and "JSON" in r.stderr
        return
    try:
        req = am.Requirements.from_text(text)
    except am.ValidationError as exc:  # what it could not read is refused, listed
        assert r.exit_code == 1
        assert str(exc).splitlines()[0].rstrip(":") in r.stderr
        return
    assert r.exit_code == 0, r.stderr
    with am.Inventory.open(store, create=False) as inv:
        assert json.loads(r.stdout) == am.match(req, inventory=inv, top=3).to_dict()


# ---------------------------------------------------------------------- import
def test_import_with_a_bad_row_exits_1_naming_it(tmp_path):
    store = tmp_path / "zone.gpkg"
    r = run("--lang", "en", "import", store, ROOT / "data" / "plants.xlsx", "--at", "2025-01-01")
    assert r.exit_code == 1
    assert r.stdout.startswith("import from ")
    assert "5 accepted (5 new" in r.stdout and "1 rejected" in r.stdout
    assert r.stderr.strip() == "assetmatch: 1 row(s) refused: row 7 (PL-006)"
    # a land-use word read as a class is named in words, not by the library's key
    assert "'仓储' read as 11 仓储用地 (logistics and storage)" in r.stdout
    assert "logistics_storage" not in r.stdout
    with am.Inventory.open(store, create=False) as inv:  # the good rows are in
        assert sorted(inv.assets().index) == ["PL-001", "PL-002", "PL-003", "PL-004", "PL-005"]


def test_refused_rows_are_named_in_file_order(tmp_path):
    # problems are found check by check (numbers, coordinates, ids, land use), not row by row
    src = tmp_path / "sites.csv"
    src.write_text(
        "编号,经度,纬度,用地面积（亩）,用地性质\n"
        "A-1,118.80,24.90,12,工业\n"
        "A-2,118.81,24.90,12,0804\n"  # a code ambiguous without its scheme
        "A-3,118.82,24.90,abc,工业\n"  # not a number
        "A-4,218.80,24.90,12,工业\n"  # outside the store CRS's area
        "A-1,118.83,24.90,12,工业\n",  # a duplicate id
        encoding="utf-8",
    )
    r = run("--lang", "en", "import", tmp_path / "zone.gpkg", src, "--crs", "EPSG:4490")
    assert r.exit_code == 1
    assert r.stderr.strip().endswith("4 row(s) refused: row 3 (A-2), 4 (A-3), 5 (A-4), 6 (A-1)"), (
        r.stderr
    )


def test_import_report_in_chinese_and_raise_mode(tmp_path):
    store = tmp_path / "zone.gpkg"
    r = run("import", store, ROOT / "data" / "plants.xlsx", "--on-error", "raise")
    assert r.exit_code == 1
    assert "第 7 行" in r.stderr or "row 7" in r.stderr
    assert "Traceback" not in r.stderr


def test_import_of_a_missing_file_exits_3_and_leaves_no_store(tmp_path):
    store = tmp_path / "zone.gpkg"
    r = run("--lang", "en", "import", store, tmp_path / "missing.xlsx")
    assert r.exit_code == 3
    assert r.stderr.strip() == f"assetmatch: no such file: {tmp_path / 'missing.xlsx'}"
    assert not store.exists()


def test_import_columns_option_maps_a_header(tmp_path):
    src = tmp_path / "sites.csv"
    src.write_text("编号X,经度,纬度,面积（亩）\nA-1,118.80,24.90,12\n", encoding="utf-8")
    store = tmp_path / "zone.gpkg"
    r = run("import", store, src, "--columns", "编号X=asset_id")
    assert r.exit_code == 0, r.stdout + r.stderr
    with am.Inventory.open(store, create=False) as inv:
        a = inv.assets()
    assert list(a.index) == ["A-1"]
    assert a.at["A-1", "declared_land_area_m2"] == pytest.approx(12 * 2000 / 3)
    bad = run("import", store, src, "--columns", "编号X")
    assert bad.exit_code == 2 and "SOURCE=field" not in bad.stdout


# ---------------------------------------------------------------------- history
def test_history_one_line_per_event_with_the_change(store):
    r = run("--lang", "en", "history", store, "TS-0001")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    with am.Inventory.open(store, create=False) as inv:
        assert len(lines) == len(inv.history("TS-0001"))
    assert lines[0].startswith("2022-06-30  created: Name 泰丰闲置厂区, Status idle")
    assert lines[1] == (
        "2022-10-11  Rent (yuan/m²/month): 15 → 13.5  [林某（招商局）: 业主下调挂牌租金]"
    )
    assert "2023-11-24  Obstacles: utility upgrade (60 days) → none" in r.stdout
    zh = run("history", store, "TS-0001").stdout.splitlines()
    assert zh[0].startswith("2022-06-30  登记：名称 泰丰闲置厂区，状态 闲置")
    assert zh[1] == "2022-10-11  租金（元/㎡/月）：15 → 13.5  [林某（招商局）：业主下调挂牌租金]"


def test_history_json_is_the_events(store):
    r = run("history", store, "TS-0001", "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    with am.Inventory.open(store, create=False) as inv:
        h = inv.history("TS-0001")
    assert [e["event_id"] for e in got] == h["event_id"].tolist()
    assert [e["field"] for e in got[1:]] == h["field"].tolist()[1:]
    assert got[1]["value"] == 13.5 and got[0]["value"]["name"] == "泰丰闲置厂区"


def test_unknown_asset_exits_3_with_one_line(store):
    r = run("history", store, "NOPE")
    assert r.exit_code == 3
    assert r.stderr == "assetmatch: 资产 NOPE 不在库中\n"
    assert r.stdout == ""


def test_debug_lets_the_error_through(store):
    r = run("--debug", "history", store, "NOPE")
    assert r.exit_code != 0
    assert isinstance(r.exception, am.UnknownAssetError)


# ---------------------------------------------------------------------- report and demo
def test_report_writes_the_pdf_and_prints_its_path(store, brief_file, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("typst")
    out = tmp_path / "hengzhong.pdf"
    r = run("--lang", "en", "report", store, brief_file, "-o", out, "--top", "2")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == str(out)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    assert "TS-0001" in text and "TS-0006" in text
    missing = run("report", store, brief_file, "-o", tmp_path / "no" / "such.pdf")
    assert missing.exit_code == 3
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr


def test_demo_prints_the_shortlist_and_writes_the_pdf(tmp_path, monkeypatch):
    pytest.importorskip("typst")
    monkeypatch.chdir(tmp_path)
    r = run("--lang", "en", "demo", "--store", tmp_path / "d.gpkg", "--top", "2")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"demo zone (synthetic): {tmp_path / 'd.gpkg'}"
    assert lines[1].startswith(f"top 2 of 3 sites fitting the brief of {BRIEF['investor']}")
    assert lines[3].split()[:2] == ["1", "TS-0001"]
    assert lines[-1] == "PDF written: hengzhong.pdf"
    assert (tmp_path / "hengzhong.pdf").read_bytes()[:5] == b"%PDF-"
    (tmp_path / "hengzhong.pdf").unlink()
    r = run("demo", "--store", tmp_path / "e.gpkg", "--top", "1", "--no-pdf")
    assert r.exit_code == 0 and not (tmp_path / "hengzhong.pdf").exists()


# ---------------------------------------------------------------------- init, update, list, export
@pytest.fixture
def copy(store, tmp_path) -> Path:
    """A private copy of the demo store, for commands that write."""
    with am.Inventory.open(store, create=False) as inv:
        return inv.export(tmp_path / "copy.gpkg")


def test_init_makes_an_empty_store_once(tmp_path):
    path = tmp_path / "zone.gpkg"
    r = run("--lang", "en", "init", path, "--crs", "EPSG:4549")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("empty inventory created:") and "EPSG:4549" in r.stdout
    with am.Inventory.open(path, create=False) as inv:
        assert inv.crs.to_epsg() == 4549 and len(inv.assets()) == 0
    again = run("init", path)
    assert again.exit_code == 3 and again.stderr.count("\n") == 1
    bad = run("init", tmp_path / "other.gpkg", "--crs", "EPSG:99999999")
    assert bad.exit_code == 2 and not (tmp_path / "other.gpkg").exists()


def test_update_records_events_and_prints_them(copy):
    with am.Inventory.open(copy, create=False) as inv:
        n0 = len(inv.history("TS-0001"))
    r = run(
        "--lang", "en", "update", copy, "TS-0001", "--status", "negotiating", "--rent", "11.5",
        "--at", "2024-07-01", "--note", "洽谈中", "--author", "林某",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == [
        "2024-07-01  Rent (yuan/m²/month): 12 → 11.5  [林某: 洽谈中]",
        "2024-07-01  Status: idle → under negotiation  [林某: 洽谈中]",
    ]
    with am.Inventory.open(copy, create=False) as inv:
        assert len(inv.history("TS-0001")) == n0 + 2
        a = inv.assets()
        assert a.at["TS-0001", "status"] == "negotiating"
        assert a.at["TS-0001", "rent_yuan_m2_month"] == 11.5


def test_update_errors(copy):
    r = run("update", copy, "NOPE", "--rent", "3")
    assert (r.exit_code, r.stderr, r.stdout) == (3, "assetmatch: 资产 NOPE 不在库中\n", "")
    r = run("--lang", "en", "update", copy, "NOPE", "--rent", "3")
    assert (r.exit_code, r.stderr) == (3, "assetmatch: asset NOPE is not in the inventory\n")
    with am.Inventory.open(copy, create=False) as inv, pytest.raises(am.UnknownAssetError) as e:
        inv.history("NOPE")
    assert str(e.value) == "not in the inventory: NOPE"  # as update, remove and offer say it
    r = run("update", copy, "TS-0001", "--status", "on the moon")
    assert r.exit_code == 1 and "status" in r.stderr and "Traceback" not in r.stderr
    assert run("update", copy, "TS-0001").exit_code == 2  # nothing to change
    assert run("update", copy, "TS-0001", "--set", "rent").exit_code == 2
    r = run("update", copy, "TS-0001", "--set", 'tenure=["lease"]')
    assert r.exit_code == 0, r.stderr
    with am.Inventory.open(copy, create=False) as inv:
        assert list(inv.assets().at["TS-0001", "tenure"]) == ["lease"]


def test_update_set_takes_a_header_as_staff_write_it_with_its_unit(copy):
    r = run(
        "update", copy, "TS-0001",
        "--set", "租金（元/㎡·天）=0.5", "--set", "土地面积（亩）=170", "--set", "业主=张三",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    with am.Inventory.open(copy, create=False) as inv:
        a = inv.assets()
    from assetmatch import units

    assert a.at["TS-0001", "rent_yuan_m2_month"] == pytest.approx(0.5 * units.DAYS_PER_MONTH)
    assert a.at["TS-0001", "declared_land_area_m2"] == pytest.approx(170 * 2000 / 3)
    assert a.at["TS-0001", "owner"] == "张三"
    # a measure without its unit is refused, saying how to write it; nothing is written
    for item in ("面积=35", "租金=12", "月租金（万元）=5", "面积（亩）=abc"):
        r = run("--lang", "en", "update", copy, "TS-0001", "--set", item)
        assert r.exit_code == 2 and "Traceback" not in r.stderr, item
    assert (
        "states no unit" in run("--lang", "en", "update", copy, "TS-0001", "--set", "面积=3").stderr
    )
    with am.Inventory.open(copy, create=False) as inv:
        assert inv.assets().at["TS-0001", "owner"] == "张三"


def test_list_filters_agree_with_pandas(store):
    with am.Inventory.open(store, create=False) as inv:
        a = inv.assets()
    mu = a["land_area_m2"] / (2000 / 3)
    want = a[(a["status"] == "idle") & (a["district"] == "杏东") & (mu >= 20)].index.tolist()
    assert want  # the filter keeps something and drops something
    assert len(want) < (a["status"] == "idle").sum()
    r = run("list", store, "--status", "idle", "--district", "杏东", "--min-mu", "20", "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    assert [x["asset_id"] for x in got] == want
    table = run("--lang", "en", "list", store, "--status", "idle", "--district", "杏东",
                "--min-mu", "20")  # fmt: skip
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "Name"]
    ts1 = next(line.split() for line in lines if line.startswith("TS-0001"))
    assert ts1[5] == "168"  # mu rounded as in the shortlist and the report
    assert [line.split()[0] for line in lines[1:]] == want
    assert table.stderr.strip() == f"{len(want)} site(s)"
    assert run("list", store, "--status", "sleeping").exit_code == 2


def test_list_rent_and_kind_filters(store):
    with am.Inventory.open(store, create=False) as inv:
        a = inv.assets()
    want = a[(a["kind"] == "factory") & (a["rent_yuan_m2_month"] <= 10)].index.tolist()
    r = run("list", store, "--kind", "factory", "--max-rent", "10", "--json")
    assert [x["asset_id"] for x in json.loads(r.stdout)] == want


def test_export_writes_a_geopackage_once(store, tmp_path):
    dest = tmp_path / "out.gpkg"
    r = run("export", store, dest)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == str(dest)
    with am.Inventory.open(dest, create=False) as a, am.Inventory.open(store, create=False) as b:
        assert a.assets().index.tolist() == b.assets().index.tolist()
    again = run("export", store, dest)
    assert again.exit_code == 3 and "exists" in again.stderr


# ---------------------------------------------------------------------- serve and keys
def test_serve_refuses_a_public_host_without_keys(store):
    pytest.importorskip("fastapi")
    r = run("--lang", "en", "serve", store, "--host", "0.0.0.0")
    assert r.exit_code == 2
    assert r.stderr.startswith("assetmatch: Refusing to listen on 0.0.0.0 without API keys")
    assert r.stderr.count("\n") == 1
    assert run("serve", store, "--port", "70000").exit_code == 2


def test_keys_add_prints_the_key_alone(tmp_path):
    pytest.importorskip("fastapi")
    from assetmatch.service import KeyFile

    path = tmp_path / "keys.jsonl"
    r = run("--lang", "en", "keys", "add", path, "--scope", "write")
    assert r.exit_code == 0, r.stderr
    key = r.stdout.strip()
    assert "\n" not in key and KeyFile(path).scope_of(key) == "write"
    assert "shown only this once" in r.stderr and key not in r.stderr
    assert run("keys", "add", path, "--scope", "admin").exit_code == 2


# ---------------------------------------------------------------------- progress
def test_progress_goes_to_stderr_never_stdout(store, brief_file, tmp_path):
    pytest.importorskip("typst")
    out = tmp_path / "r.pdf"
    r = run("--lang", "en", "--progress", "report", store, brief_file, "-o", out, "--top", "2")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"{out}\n"  # data only
    assert "matching …" in r.stderr and "writing the PDF …" in r.stderr
    steps = re.findall(r"writing the PDF (\d+)/(\d+)", r.stderr)  # as to_pdf reports them
    assert len(steps) >= 2 and steps[-1][0] == steps[-1][1]
    quiet = run("--no-progress", "match", store, brief_file, "--json", "--top", "1")
    assert quiet.stderr == ""


# ---------------------------------------------------------------------- the real command
def test_console_script_in_a_subprocess(store, brief_file):
    """The installed ``assetmatch`` script: JSON alone on stdout, progress never on it."""
    m = subprocess.run(
        [_script(), "match", str(store), str(brief_file), "--json", "--top", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert m.returncode == 0, m.stderr
    assert [x["asset_id"] for x in json.loads(m.stdout)["results"]] == ["TS-0001", "TS-0006"]


def test_python_dash_m_errors_are_one_line_without_traceback(store):
    r = subprocess.run(
        [sys.executable, "-m", "assetmatch", "history", str(store), "NOPE"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 3
    assert r.stderr == "assetmatch: 资产 NOPE 不在库中\n"
    assert r.stdout == ""


def test_library_errors_lead_with_their_kind_in_chinese(tmp_path):
    # The library's messages are English; under --lang zh the kind of failure comes first in
    # Chinese and the English details (the path, the field) follow unchanged.
    missing = tmp_path / "none.gpkg"
    zh = run("match", missing, "教育 100亩")
    en = run("--lang", "en", "match", missing, "教育 100亩")
    assert zh.exit_code == en.exit_code == 3
    detail = en.stderr.removeprefix("assetmatch: ")
    assert str(missing) in detail
    assert zh.stderr == f"assetmatch: 资产库无法打开或写入：{detail}"
    bad = tmp_path / "bad.json"
    bad.write_text('{"land_area_mu": {"min": "lots"}}', encoding="utf-8")
    store = tmp_path / "zone.gpkg"
    assert run("init", store).exit_code == 0
    zh = run("match", store, bad)
    assert zh.exit_code == 1, zh.stderr
    assert zh.stderr.startswith("assetmatch: 输入有误："), zh.stderr
    assert "land_area_mu" in zh.stderr


@pytest.mark.parametrize(
    ("args", "zh", "en"),
    [
        (["match", "{store}"], "错误：缺少参数 'BRIEF'。", "Error: Missing argument 'BRIEF'."),
        (["nosuch"], "错误：没有命令 'nosuch'。", "Error: No such command 'nosuch'."),
        (["mach"], "没有命令 'mach'；是否想用 'match'？", "Did you mean 'match'?"),
        (["match", "--tpo", "3", "{store}", "x"], "没有选项 --tpo（可用：--top）", "--tpo"),
        (["match", "{store}", "x", "y"], "错误：多余的参数：y", "unexpected extra argument"),
        (["match", "{store}", "x", "--top"], "选项 '--top' 需要一个值。", "requires an argument"),
        (["match", "{store}", "/no/such.json"], "BRIEF 的值无效：没有文件", "no such file"),
    ],
)
def test_usage_errors_speak_the_command_language(store, args, zh, en):
    args = [a.replace("{store}", str(store)) for a in args]
    r_zh = run("--lang", "zh", *args)
    r_en = run("--lang", "en", *args)
    assert r_zh.exit_code == r_en.exit_code == 2, r_zh.stderr + r_en.stderr
    assert zh in r_zh.stderr and "Error:" not in r_zh.stderr, r_zh.stderr
    assert en in r_en.stderr and "错误" not in r_en.stderr, r_en.stderr
    if r_en.stderr.startswith("Usage: "):  # click shows the usage line where it knows it
        assert r_zh.stderr.startswith("用法：assetmatch"), r_zh.stderr
        assert r_zh.stderr.splitlines()[0][3:] == r_en.stderr.splitlines()[0][7:]
    assert r_zh.stdout == r_en.stdout == ""


@pytest.mark.parametrize("command", [[], ["match"], ["keys", "add"]])
def test_the_help_option_is_described_in_the_command_language(command):
    zh = run("--lang", "zh", *command, "--help")
    en = run("--lang", "en", *command, "--help")
    assert zh.exit_code == en.exit_code == 0
    assert "显示本帮助并退出" in zh.stdout and "Show this message" not in zh.stdout
    assert "Show this message and exit." in en.stdout and "显示本帮助" not in en.stdout


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_usage_lines_name_every_argument_in_capitals(lang):
    """Each command's usage line names its arguments as its help lists them (STORE, FILE,
    ASSET_ID…), not some in capitals and others as the Python parameter's name."""
    commands = ["match", "demo", "import", "history", "report", "init", "update", "list", "export"]
    for command in commands:
        r = run("--lang", lang, command, "--help")
        assert r.exit_code == 0, r.output
        usage = next(line for line in r.stdout.splitlines() if line.strip())
        names = re.findall(r"\{([^}]*)\}", usage)
        assert all(n == n.upper() for n in names), (command, usage)
