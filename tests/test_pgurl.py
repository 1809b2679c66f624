"""PostgreSQL URLs: parts from the URL or the PG* variables, the password never shown."""

from __future__ import annotations

import logging

import pytest

from assetmatch import Inventory, StoreConflictError, StoreError
from assetmatch.store.pgurl import is_pg_url, parse_pg_url, scrub

SECRET = "s3cr:et@pw"
URL = "postgresql://alice:s3cr%3Aet%40pw@db.example.org:6543/zone?sslmode=require"


def test_url_parts_and_percent_decoding():
    t = parse_pg_url(URL, environ={})
    assert (t.host, t.port, t.dbname, t.user, t.password) == (
        "db.example.org",
        6543,
        "zone",
        "alice",
        SECRET,
    )
    assert t.options == (("sslmode", "require"),)


def test_missing_parts_come_from_pg_variables_then_libpq_defaults():
    env = {"PGHOST": "h", "PGPORT": "7000", "PGDATABASE": "d", "PGUSER": "u", "PGPASSWORD": "p"}
    t = parse_pg_url("postgresql://", environ=env)
    assert (t.host, t.port, t.dbname, t.user, t.password) == ("h", 7000, "d", "u", "p")
    t = parse_pg_url("postgres:///mydb", environ={})
    assert (t.host, t.port, t.dbname, t.user, t.password) == ("localhost", 5432, "mydb", None, None)
    # the URL wins over the variables
    assert parse_pg_url("postgresql://x:1/y", environ=env).host == "x"


def test_password_never_in_text_forms():
    t = parse_pg_url(URL, environ={})
    for text in (str(t), repr(t), t.redacted()):
        assert SECRET not in text and "s3cr" not in text
    assert t.redacted() == "postgresql://alice:***@db.example.org:6543/zone?sslmode=require"
    # the driver's string carries it, quoted for libpq
    assert "password='s3cr:et@pw'" in t.conninfo()
    assert "host='db.example.org'" in t.conninfo()


def test_conninfo_quotes_quotes_and_backslashes():
    t = parse_pg_url("postgresql://u:a%27b%5Cc@h/d", environ={})
    assert t.password == "a'b\\c"
    assert "password='a\\'b\\\\c'" in t.conninfo()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("postgresql://alice:hunter2@h:99999/d", "port"),
        ("postgresql://alice:hunter2@h:notaport/d", "port"),
        ("postgresql://alice:hunter2@h/a/b", "dbname"),
        ("postgresql://h/d?password=hunter2", "password"),
    ],
)
def test_bad_urls_name_the_part_and_hide_the_password(url, field):
    with pytest.raises(StoreError, match=f"field '{field}'") as err:
        parse_pg_url(url, environ={})
    assert "hunter2" not in str(err.value)


def test_no_database_anywhere():
    with pytest.raises(StoreError, match="PGDATABASE"):
        parse_pg_url("postgresql://h", environ={})


def test_scrub_removes_passwords_from_driver_text():
    t = parse_pg_url(URL, environ={})
    text = f'connection failed: password "{SECRET}" for {URL}'
    out = scrub(text, t, URL)
    assert "s3cr" not in out and "alice" in out


def test_is_pg_url():
    assert is_pg_url("postgresql://h/d") and is_pg_url("POSTGRES://h/d")
    assert not is_pg_url("zone.gpkg") and not is_pg_url("file://x")


def test_inventory_open_with_a_url_hides_the_password(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StoreError) as err:
        Inventory.open("postgresql://alice:hunter2@localhost:1/zone")
    assert "hunter2" not in str(err.value) and "alice:***@localhost:1/zone" in str(err.value)
    assert "hunter2" not in caplog.text


def test_conflict_error_is_a_store_error():
    assert issubclass(StoreConflictError, StoreError)
