"""API keys for the HTTP service: scopes ``read`` and ``write``, kept hashed in a file.

A key is 32 random bytes (``secrets.token_urlsafe``), shown once when it is made. The keys
file holds, one JSON object per line, the key's id (its first 8 characters, for people to tell
keys apart), its scope and the SHA-256 of the whole key. A random 256-bit key needs no salt or
slow hash: guessing it is as hard as guessing the key itself. Keys are compared in constant
time and never written to a log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .._errors import Problem, ValidationError
from .errors import ServiceError

SCOPES = ("read", "write")
"""``read``: match and read the inventory. ``write``: also post events and imports."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyRecord:
    """One key as stored: never the key itself."""

    key_id: str
    scope: str
    sha256: str
    created: str


class KeyFile:
    """The keys a service accepts, read from a keys file.

    Parameters
    ----------
    path
        The keys file (JSON lines). It must exist; make it with :func:`add_key`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.records = read_keys(self.path)
        if not self.records:
            raise ServiceError(
                f"The keys file {self.path} holds no key. "
                "Add one with: assetmatch keys add KEYS_FILE --scope write"
            )

    def scope_of(self, key: str | None) -> str | None:
        """The scope of ``key``, or ``None`` when it is missing or not a known key."""
        if not key:
            return None
        d = _digest(key)
        found = None
        for rec in self.records:  # no early exit: the time taken does not depend on the match
            if hmac.compare_digest(rec.sha256, d):
                found = rec.scope
        return found


def read_keys(path: str | os.PathLike[str]) -> list[KeyRecord]:
    """Read a keys file; a bad line raises :class:`ValidationError` naming the line."""
    p = Path(path)
    if not p.is_file():
        raise ServiceError(
            f"The keys file {p} does not exist. Make one with: assetmatch keys add {p} --scope read"
        )
    out: list[KeyRecord] = []
    problems: list[Problem] = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rec = KeyRecord(
                str(obj["key_id"]),
                str(obj["scope"]),
                str(obj["sha256"]),
                str(obj.get("created", "")),
            )
        except (ValueError, KeyError, TypeError):
            problems.append(
                Problem(n, "<line>", "not a key record written by 'assetmatch keys add'")
            )
            continue
        if rec.scope not in SCOPES:
            problems.append(Problem(n, "scope", f"must be one of {SCOPES}, got {rec.scope!r}"))
            continue
        out.append(rec)
    if problems:
        raise ValidationError(f"The keys file {p} cannot be read:", problems)
    return out


def add_key(path: str | os.PathLike[str], scope: str = "read") -> str:
    """Make a new key with ``scope``, append its hash to the keys file and return the key.

    The key itself is not stored: show it to the person once.
    """
    if scope not in SCOPES:
        raise ValidationError(
            "Cannot add the key:",
            [Problem(None, "scope", f"must be one of {SCOPES}, got {scope!r}")],
        )
    p = Path(path)
    if p.exists():
        read_keys(p)  # refuse to append to a file that is not a keys file
    elif not p.parent.is_dir():
        raise ServiceError(
            f"Cannot write the keys file {p}: the directory {p.parent} does not exist."
        )
    key = "am_" + secrets.token_urlsafe(32)
    rec = {
        "key_id": key[:11],
        "scope": scope,
        "sha256": _digest(key),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    return key
