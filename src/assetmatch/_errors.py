"""The library's exceptions.

One base error, :class:`AssetmatchError`; every subclass also subclasses the built-in
exception a caller would naturally catch (``ValueError``, ``KeyError``), so
``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class AssetmatchError(Exception):
    """Base class of every error raised by assetmatch."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input.

    Attributes
    ----------
    row
        Row label or position in the input (``None`` for a whole-input problem).
    field
        Column or parameter name the problem is about.
    reason
        Plain-language reason, saying what was expected and what was found.
    """

    row: object
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row!r}, " if self.row is not None else ""
        return f"{where}field {self.field!r}: {self.reason}"


class ValidationError(AssetmatchError, ValueError):
    """Input failed validation; ``.problems`` lists every problem found, not only the first."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)
        if self.problems:
            shown = "\n".join(f"  - {p}" for p in self.problems[:50])
            more = len(self.problems) - 50
            tail = f"\n  … and {more} more" if more > 0 else ""
            message = f"{message}\n{shown}{tail}"
        super().__init__(message)


def wrong_type(param: str, expected: str, got: object, *, of: str | None = None) -> ValidationError:
    """The error for a parameter of the wrong type: what, where, expected, got.

    A wrong type is bad input like any other, so it is a :class:`ValidationError` (a
    ``ValueError``), not a bare ``TypeError``.

    Parameters
    ----------
    param
        The parameter's name.
    expected
        What it must be, in words ("a dict or a JSON string").
    got
        The value given; only its type is named.
    of
        The function or method it belongs to, when the message would be ambiguous without it.

    Examples
    --------
    >>> str(wrong_type("top", "an integer", 1.5, of="match")).splitlines()[0]
    "The 'top' parameter of match must be an integer. Got float instead."
    """
    where = f" of {of}" if of else ""
    kind = type(got).__name__
    return ValidationError(
        f"The {param!r} parameter{where} must be {expected}. Got {kind} instead.",
        [Problem(None, param, f"expected {expected}, got {kind}")],
    )


class CRSError(AssetmatchError, ValueError):
    """A coordinate reference system is missing, unusable or mismatched."""


class LandUseError(AssetmatchError, ValueError):
    """A land-use code is unknown, or ambiguous because its scheme was not given."""


class NotFoundError(AssetmatchError, KeyError):
    """Something named (an asset, a firm, a reference layer) is not in the inventory."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "not found"


class UnknownAssetError(NotFoundError):
    """An asset id is not in the inventory."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown asset"


class StoreError(AssetmatchError, RuntimeError):
    """The inventory store cannot be opened or written."""


class StoreConflictError(StoreError):
    """Another writer changed the same rows at the same time and retrying did not help.

    Nothing of the failed write was kept; run it again.
    """


class OfferConflictError(AssetmatchError, ValueError):
    """An asset cannot be offered: it is already offered to another investor, or its status
    (reserved, leased, …) allows no offer. Nothing was recorded."""


class SourceError(AssetmatchError, ValueError):
    """A file to import cannot be read: missing, a directory, empty, or not what it claims."""


class ReportError(AssetmatchError, RuntimeError):
    """A PDF report cannot be made: a font or the layout engine is missing, or the layout failed.

    The message says what is missing and how to install it; a report never falls back silently
    to another font.
    """


class PlotDependencyError(AssetmatchError, ImportError):
    """A plot or map needs a package that is not installed (``pip install "assetmatch[plot]"``)."""


class ClusterError(AssetmatchError, RuntimeError):
    """A dask computation cannot start: the scheduler cannot be reached, or dask is missing."""
