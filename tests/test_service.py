"""The HTTP service: routes, errors, keys, limits, uploads, a real uvicorn server on loopback."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pandas import isna as pd_isna

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

fastapi = pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

from fastapi.testclient import TestClient  # noqa: E402

import assetmatch as am  # noqa: E402
from assetmatch.demo import PUBLIC_BRIEFS  # noqa: E402
from assetmatch.service import KeyFile, ServiceError, add_key, create_app, serve  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
BRIEF = PUBLIC_BRIEFS["hengzhong"]


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("svc") / "zone.gpkg"
    am.Inventory.demo(path).close()
    return path


@pytest.fixture()
def inv(zone: Path, tmp_path: Path):
    # each test gets its own copy, so writes in one test do not change another's answers
    copy = tmp_path / "zone.gpkg"
    src = am.Inventory.open(zone, create=False)
    src.export(copy)
    src.close()
    inv = am.Inventory.open(copy, create=False)
    yield inv
    inv.close()


@pytest.fixture()
def keys(tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "keys.jsonl"
    read = add_key(path, "read")
    write = add_key(path, "write")
    return {"path": path, "read": read, "write": write}


@pytest.fixture()
def client(inv, keys) -> TestClient:
    return TestClient(create_app(inv, keys=KeyFile(keys["path"])))


def _err(r) -> dict:
    body = r.json()
    assert set(body) == {"error"}
    assert {"type", "message", "problems"} <= set(body["error"])
    return body["error"]


def test_match_over_http_equals_match_in_process(client, inv, keys):
    r = client.post("/v1/match?top=5&lang=en", json=BRIEF, headers={"X-API-Key": keys["read"]})
    assert r.status_code == 200, r.text
    got = r.json()
    want = am.match(am.Requirements.model_validate(BRIEF), inventory=inv, top=5, lang="en")
    assert [x["asset_id"] for x in got["results"]] == list(want.table["asset_id"])
    assert got["counts"] == json.loads(json.dumps(dict(want.counts)))
    assert got["requirements"]["investor"] == BRIEF["investor"]


def test_match_report_answers_the_pdf_brief(client, keys):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("typst")
    r = client.post(
        "/v1/match/report?top=3&lang=en", json=BRIEF, headers={"X-API-Key": keys["read"]}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    import io

    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "Site-selection brief" in text and "TS-0001" in text
    bad = client.post(
        "/v1/match/report", json={"land_area_mu": "big"}, headers={"X-API-Key": keys["read"]}
    )
    assert bad.status_code == 422 and bad.json()["error"]["message"]
    assert client.post("/v1/match/report", json=BRIEF).status_code == 401


def test_match_many_over_http_equals_match_many_in_process(client, inv, keys):
    briefs = [PUBLIC_BRIEFS["hengzhong"], PUBLIC_BRIEFS["xingxun"]]
    r = client.post(
        "/v1/match-many", json={"requirements": briefs}, headers={"X-API-Key": keys["read"]}
    )
    assert r.status_code == 200, r.text
    got = r.json()
    want = am.match_many(briefs, inventory=inv)
    assert [a["asset_id"] for a in got["allocation"]] == [
        None if pd_isna(x) else x for x in want["asset_id"]
    ]
    assert got["total_score"] == pytest.approx(want.attrs["total_score"])
    assert not inv.offers().size
    # recording offers needs the write scope, and then they are in the inventory's history
    body = {"requirements": briefs, "offer": True, "at": "2026-03-01"}
    assert (
        client.post("/v1/match-many", json=body, headers={"X-API-Key": keys["read"]}).status_code
        == 403
    )
    r = client.post("/v1/match-many", json=body, headers={"X-API-Key": keys["write"]})
    assert r.status_code == 200, r.text
    offered = {a["asset_id"]: a["investor"] for a in r.json()["allocation"] if a["offered"]}
    held = inv.offers()
    assert dict(zip(held["asset_id"], held["investor"], strict=True)) == offered
    bad = client.post(
        "/v1/match-many",
        json={"requirements": [{"land_area_mu": [5, 1]}], "extra": 1},
        headers={"X-API-Key": keys["read"]},
    )
    assert bad.status_code == 422
    assert {p["field"] for p in _err(bad)["problems"]} == {"extra"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"investor": "X", "land_area_mu": [NaN, 200]}',
        b'{"investor": "X", "land_area_mu": [Infinity, 200]}',
        b'{"investor": "X", "land_area_mu": [1e400, 200]}',
        b'{"investor": "X", "land_area_mu": ["lots", 200]}',
        b'{"investor": "X", "land_area_mu": [1' + b"0" * 40 + b", 200]}",
        b"[" * 5000 + b"]" * 5000,
        b"\xff\xfe not json",
        b'"just a string"',
    ],
)
def test_bad_numbers_and_bad_json_get_422_without_echo(client, keys, body):
    marker = b"ZZMARKERZZ"
    r = client.post(
        "/v1/match",
        content=body.replace(b'"X"', b'"' + marker + b'"'),
        headers={"X-API-Key": keys["read"], "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    e = _err(r)
    assert e["problems"], e
    assert marker.decode() not in r.text


def test_keys_scopes_and_their_absence(client, keys, inv):
    aid = inv.assets().index[0]
    ev = {"status": "negotiating", "at": "2026-03-01", "note": "visit"}
    assert client.get("/v1/assets").status_code == 401
    assert client.get("/v1/assets", headers={"X-API-Key": "am_wrong"}).status_code == 401
    r = client.post(f"/v1/assets/{aid}/events", json=ev, headers={"X-API-Key": keys["read"]})
    assert r.status_code == 403 and _err(r)["type"] == "AccessDenied"
    n = len(inv.history(aid))
    r = client.post(
        f"/v1/assets/{aid}/events", json=ev, headers={"Authorization": f"Bearer {keys['write']}"}
    )
    assert r.status_code == 201, r.text
    assert len(inv.history(aid)) == n + 1
    assert inv.assets().loc[aid, "status"] == "negotiating"
    # the keys file keeps hashes only
    text = Path(keys["path"]).read_text()
    assert keys["read"] not in text and keys["write"] not in text


def test_without_keys_read_and_match_only(inv):
    c = TestClient(create_app(inv, keys=None))
    assert c.post("/v1/match", json=BRIEF).status_code == 200
    assert c.get("/v1/assets?limit=3").status_code == 200
    aid = inv.assets().index[0]
    assert c.post(f"/v1/assets/{aid}/events", json={"status": "leased"}).status_code == 403


def test_serve_refuses_a_public_host_without_keys(zone):
    with pytest.raises(ServiceError, match="without API keys"):
        serve(zone, host="0.0.0.0", port=1)


def test_library_errors_map_to_4xx(client, keys, inv):
    h = {"X-API-Key": keys["write"]}
    assert _err(client.get("/v1/assets/NOPE", headers=h))["type"] == "UnknownAssetError"
    assert client.get("/v1/assets/NOPE", headers=h).status_code == 404
    assert client.get("/v1/assets/NOPE/history", headers=h).status_code == 404
    assert (
        client.post("/v1/assets/NOPE/events", json={"status": "leased"}, headers=h).status_code
        == 404
    )
    aid = inv.assets().index[0]
    r = client.post(f"/v1/assets/{aid}/events", json={"status": "on the moon"}, headers=h)
    assert r.status_code == 422 and _err(r)["problems"][0]["field"] == "status"
    r = client.post(
        f"/v1/assets/{aid}/events", json={"status": "leased", "at": "yesterday"}, headers=h
    )
    assert r.status_code == 422
    r = client.get("/v1/assets?limit=0", headers=h)
    assert r.status_code == 422 and _err(r)["problems"][0]["field"] == "limit"


def test_assets_are_geojson_in_wgs84_and_paged(client, keys, inv):
    h = {"X-API-Key": keys["read"]}
    a = inv.assets()
    status = a["status"].iloc[0]
    r = client.get(f"/v1/assets?status={status}&limit=7&offset=2", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["total"] == int((a["status"] == status).sum())
    assert len(fc["features"]) == min(7, max(fc["total"] - 2, 0))
    want_ids = list(a.index[a["status"] == status][2:9])
    assert [f["id"] for f in fc["features"]] == want_ids
    for f in fc["features"]:
        ring = f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon" else None
        if ring:
            lon, lat = ring[0]
            assert 117 < lon < 120 and 23 < lat < 27  # Quanzhou, lon/lat
    one = client.get(f"/v1/assets/{want_ids[0]}", headers=h).json()
    assert one["properties"]["asset_id"] == want_ids[0]
    hist = client.get(f"/v1/assets/{want_ids[0]}/history", headers=h).json()
    assert len(hist["events"]) == len(inv.history(want_ids[0]))


def test_upload_import_and_no_temp_left(client, keys, inv):
    before = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("assetmatch-upload-")}
    h = {"X-API-Key": keys["write"]}
    with open(DATA / "plants.xlsx", "rb") as f:
        r = client.post("/v1/imports?lang=en", files={"file": ("plants.xlsx", f)}, headers=h)
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["rows"] == 6 and rep["committed"]
    assert set(rep["created"]) <= set(inv.assets().index)
    after = {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("assetmatch-upload-")}
    assert after == before
    r = client.post("/v1/imports", files={"file": ("../../etc/passwd", b"x")}, headers=h)
    assert r.status_code == 422 and _err(r)["problems"][0]["field"] == "file"
    r = client.post("/v1/imports", files={"file": ("a.csv", b"")}, headers=h)
    assert r.status_code == 422 and _err(r)["type"] == "SourceError"
    # the error names the upload, never where the server saved it
    assert "a.csv is empty" in _err(r)["message"] and "assetmatch-upload" not in r.text


def test_an_upload_is_named_by_its_file_name_in_the_report_and_the_history(client, keys, inv):
    h = {"X-API-Key": keys["write"]}
    body = "编号,经度,纬度,面积（亩）\nUP-1,118.86,24.95,12\n".encode()
    r = client.post("/v1/imports?lang=en", files={"file": ("dir/园区台账.csv", body)}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["text"].startswith("import from 园区台账.csv: 1 rows")
    assert "assetmatch-upload" not in r.text
    assert inv.history("UP-1")["source"].tolist() == ["园区台账.csv"]


def test_bodies_above_the_limit_get_413_chunked_too(inv):
    c = TestClient(create_app(inv, keys=None, max_body_bytes=1000))
    r = c.post(
        "/v1/match", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and _err(r)["type"] == "PayloadTooLarge"

    def chunks():
        for _ in range(50):
            yield b" " * 100

    r = c.post("/v1/match", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert c.post("/v1/match", json=BRIEF).status_code == 200


def test_cors_off_by_default_and_allow_list(inv):
    pre = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    off = TestClient(create_app(inv, keys=None))
    assert "access-control-allow-origin" not in off.options("/v1/match", headers=pre).headers
    on = TestClient(create_app(inv, keys=None, cors_origins=["https://portal.example"]))
    r = on.options("/v1/match", headers=pre)
    assert r.headers["access-control-allow-origin"] == "https://portal.example"
    r = on.options("/v1/match", headers={**pre, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_openapi_lists_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/match",
        "/v1/match-many",
        "/v1/assets",
        "/v1/assets/{asset_id}",
        "/v1/assets/{asset_id}/history",
        "/v1/assets/{asset_id}/events",
        "/v1/imports",
        "/healthz",
    ):
        assert p in paths


def test_keys_file_errors_and_cli(tmp_path, capsys):
    from assetmatch.cli import main

    path = tmp_path / "k.jsonl"
    assert main(["keys", "add", str(path), "--scope", "write"]) == 0
    key = capsys.readouterr().out.strip()
    assert KeyFile(path).scope_of(key) == "write"
    assert KeyFile(path).scope_of(key + "x") is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not a key\n")
    with pytest.raises(am.ValidationError, match=r"row 1"):
        KeyFile(bad)
    with pytest.raises(ServiceError):
        KeyFile(tmp_path / "missing.jsonl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_server_concurrent_matches_while_writing(inv, keys):
    """uvicorn on loopback: 40 matches from 8 threads while 20 events are posted; none lost."""
    app = create_app(inv, keys=KeyFile(keys["path"]))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        assert server.started
        base = f"http://127.0.0.1:{port}"
        ids = list(inv.assets().index[:20])
        before = {a: len(inv.history(a)) for a in ids}
        rent0 = inv.assets().loc[ids, "rent_yuan_m2_month"]

        def do_match(_):
            return httpx.post(
                f"{base}/v1/match?top=5",
                json=BRIEF,
                headers={"X-API-Key": keys["read"]},
                timeout=60,
            ).status_code

        def do_event(aid):
            return httpx.post(
                f"{base}/v1/assets/{aid}/events",
                json={"rent_yuan_m2_month": 12.5, "note": "load"},
                headers={"X-API-Key": keys["write"]},
                timeout=60,
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            m = pool.map(do_match, range(40))
            e = pool.map(do_event, ids)
            codes = list(m) + list(e)
        assert all(c < 500 for c in codes), codes
        assert codes.count(200) == 40 and codes.count(201) == 20
        for a in ids:  # one event per asset whose rent changed, none lost
            assert before[a] + int(rent0[a] != 12.5) <= len(inv.history(a)) <= before[a] + 1
        assert (inv.assets().loc[ids, "rent_yuan_m2_month"] == 12.5).all()
    finally:
        server.should_exit = True
        t.join(10)


def test_keys_never_reach_the_logs(client, keys, inv, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    aid = inv.assets().index[0]
    client.get("/v1/assets?limit=2", headers={"X-API-Key": keys["read"]})
    client.post(
        f"/v1/assets/{aid}/events",
        json={"note": "x", "status": "leased"},
        headers={"Authorization": f"Bearer {keys['write']}"},
    )
    client.get("/v1/assets", headers={"X-API-Key": keys["read"] + "x"})
    assert caplog.records  # something was logged at DEBUG, and none of it holds a key
    assert keys["read"] not in caplog.text and keys["write"] not in caplog.text


def test_cli_import_of_a_missing_file_leaves_no_store(tmp_path, capsys):
    from assetmatch.cli import main

    store = tmp_path / "zone.gpkg"
    assert main(["--lang", "en", "import", str(store), str(tmp_path / "missing.xlsx")]) == 3
    assert "no such file" in capsys.readouterr().err
    assert not store.exists()
