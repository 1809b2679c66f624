"""PostgreSQL connection targets: parse a ``postgresql://`` URL, never show its password.

The URL may leave parts out; they are taken from the standard libpq variables
(``PGHOST``, ``PGPORT``, ``PGDATABASE``, ``PGUSER``, ``PGPASSWORD``) and then from
libpq's own defaults (``localhost``, ``5432``). Every text this module produces for a
person (``str``, ``repr``, :meth:`PgTarget.redacted`, error messages) leaves the
password out; only :meth:`PgTarget.conninfo`, meant for the driver, carries it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from .._errors import StoreError

__all__ = ["PgTarget", "is_pg_url", "parse_pg_url", "scrub"]

SCHEMES = ("postgresql", "postgres")
_ENV = {"host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER"}
_MASK = "***"


def is_pg_url(text: str) -> bool:
    """Whether ``text`` names a PostgreSQL server (``postgresql://`` or ``postgres://``)."""
    return text.split("://", 1)[0].lower() in SCHEMES if "://" in text else False


@dataclass(frozen=True)
class PgTarget:
    """Where a PostGIS store lives.

    Attributes
    ----------
    host, port, dbname, user
        The server, its port, the database and the role.
    password
        Kept out of ``repr`` and every message; ``None`` lets libpq use ``~/.pgpass``.
    options
        Further libpq keywords given as URL query parameters (``sslmode=require``).
    """

    host: str
    port: int
    dbname: str
    user: str | None
    password: str | None = field(default=None, repr=False)
    options: tuple[tuple[str, str], ...] = ()

    def redacted(self) -> str:
        """The target as a URL without its password, fit for logs and errors."""
        who = (self.user or "") + (f":{_MASK}" if self.password else "")
        who = f"{who}@" if who else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "&".join(f"{k}={v}" for k, v in self.options)
        return f"postgresql://{who}{host}:{self.port}/{self.dbname}" + (
            f"?{query}" if query else ""
        )

    def __str__(self) -> str:
        return self.redacted()

    def conninfo(self) -> str:
        """The libpq keyword/value string for the driver (carries the password; never log it)."""
        pairs = [("host", self.host), ("port", str(self.port)), ("dbname", self.dbname)]
        if self.user:
            pairs.append(("user", self.user))
        if self.password is not None:
            pairs.append(("password", self.password))
        pairs.extend(self.options)
        return " ".join(f"{k}={_quote(v)}" for k, v in pairs)


def _quote(value: str) -> str:
    """Quote one libpq conninfo value (single quotes, backslash escapes)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def parse_pg_url(url: str, environ: Mapping[str, str] | None = None) -> PgTarget:
    """Read a ``postgresql://user:password@host:port/dbname?key=value`` URL.

    Parameters
    ----------
    url
        The URL; missing parts come from ``PGHOST``, ``PGPORT``, ``PGDATABASE``,
        ``PGUSER`` and ``PGPASSWORD`` in ``environ``, then from libpq's defaults.
    environ
        The variables to read (default: ``os.environ``).

    Returns
    -------
    PgTarget
        The target; its text forms never show the password.

    Raises
    ------
    StoreError
        The URL is not a PostgreSQL URL, or its port or database name is unusable. The
        message names the part and shows the URL without its password.
    """
    env = os.environ if environ is None else environ
    try:
        parts = urlsplit(url)
        port_text = parts.port
    except ValueError as exc:
        raise StoreError(
            f"{_safe(url)}: field 'port': not a port number 1-65535 ({_scrub_exc(exc, url)})"
        ) from None
    if parts.scheme.lower() not in SCHEMES:
        raise StoreError(f"{_safe(url)}: field 'scheme': expected postgresql:// or postgres://")
    password = unquote(parts.password) if parts.password is not None else env.get("PGPASSWORD")
    user = unquote(parts.username) if parts.username else env.get(_ENV["user"]) or None
    host = unquote(parts.hostname or "") or env.get(_ENV["host"]) or "localhost"
    port_raw: object = port_text if port_text is not None else env.get(_ENV["port"], "5432")
    try:
        port = int(port_raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        port = -1
    if not 1 <= port <= 65535:
        raise StoreError(
            f"{_safe(url)}: field 'port': {port_raw!r} is not a port number 1-65535 "
            f"(from the URL or PGPORT)"
        )
    dbname = unquote(parts.path.lstrip("/")) or env.get(_ENV["dbname"]) or user or ""
    if not dbname or "/" in dbname:
        raise StoreError(
            f"{_safe(url)}: field 'dbname': give one database name after the host "
            "(postgresql://host/dbname) or set PGDATABASE"
        )
    options = tuple(parse_qsl(parts.query, keep_blank_values=True))
    for key, _value in options:
        if key in {"password", "passfile"}:
            raise StoreError(
                f"{_safe(url)}: field {key!r}: give the password in the URL's user part, "
                "PGPASSWORD or ~/.pgpass, not as a query parameter"
            )
    return PgTarget(
        host=host, port=port, dbname=dbname, user=user, password=password, options=options
    )


def _safe(url: str) -> str:
    """``url`` with any password replaced, for messages about a URL that did not parse."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _MASK if ":" in url and "@" in url else url
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{_MASK}@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    path, qmark, query = tail.partition("?")
    query = "&".join(
        f"{p.split('=', 1)[0]}={_MASK}" if p.split("=", 1)[0].lower() == "password" else p
        for p in query.split("&")
    )
    tail = path + qmark + query
    return f"{scheme}://{netloc}{slash}{tail}"


def _scrub_exc(exc: BaseException, url: str) -> str:
    return scrub(str(exc), url)


def scrub(text: str, *secrets: object) -> str:
    """Remove every password in ``secrets`` (URLs, :class:`PgTarget`, strings) from ``text``.

    Use on a driver's error text before it reaches a person: libpq may echo the conninfo.
    """
    for secret in secrets:
        if isinstance(secret, PgTarget):
            words = [secret.password] if secret.password else []
        elif isinstance(secret, str) and "://" in secret:
            try:
                pw = urlsplit(secret).password
            except ValueError:
                pw = None
            words = [pw, unquote(pw)] if pw else []
            words.append(secret)
        elif isinstance(secret, str):
            words = [secret]
        else:
            words = []
        for word in sorted((w for w in words if w), key=len, reverse=True):
            text = text.replace(word, _safe(word) if "://" in word else _MASK)
    return text
