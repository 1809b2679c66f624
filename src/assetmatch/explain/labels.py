"""The words a person reads for a code: labels, column headers and the language check.

The report, the command line and the notebooks print codes of the data model (a status
``"idle"``, a tenure mode ``"lease_then_transfer"``, a column ``land_area_mu``) in a person's
words through these functions, so the same code reads the same everywhere. The vocabularies
themselves live in :mod:`assetmatch.explain.words`; these functions read them when called.

Every function takes ``lang`` (``"zh"`` or ``"en"``) and never returns a machine word: an
unknown or missing code reads as "未知" / "unknown", an unlisted code with its underscores
replaced by spaces.

Examples
--------
>>> from assetmatch.explain import column_header, status_name, tenure_names
>>> status_name("negotiating", "en")
'under negotiation'
>>> tenure_names(["lease", "lease_then_transfer"], "zh")
'租赁、先租后让'
>>> column_header("land_area_mu", "zh")
'用地面积（亩）'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .._errors import Problem, ValidationError
from ..domain.landuse_paths import UNKNOWN_PATH, path_label
from . import words

__all__ = [
    "LANGS",
    "check_lang",
    "column_header",
    "column_headers",
    "criterion_name",
    "label",
    "layer_name",
    "obstacle_name",
    "path_name",
    "status_name",
    "tenure_name",
    "tenure_names",
    "unknown",
]

#: The languages of every text assetmatch writes for a person.
LANGS: Final = ("zh", "en")

_UNKNOWN: Final = ("未知", "unknown")


def check_lang(lang: object) -> str:
    """Return ``lang`` when it is ``"zh"`` or ``"en"``.

    Raises
    ------
    assetmatch.ValidationError
        For any other value (a ``ValueError`` too), naming the value.
    """
    if lang not in LANGS:
        raise ValidationError(
            f"The 'lang' parameter must be 'zh' or 'en'. Got {lang!r} instead.",
            [Problem(None, "lang", f"expected 'zh' or 'en', got {lang!r}")],
        )
    return str(lang)


def label(pair: tuple[str, str], lang: str) -> str:
    """Pick the text of ``lang`` from a ``(zh, en)`` pair."""
    return pair[0] if lang == "zh" else pair[1]


def unknown(lang: str) -> str:
    """The word for a missing value: ``"未知"`` / ``"unknown"``."""
    return label(_UNKNOWN, lang)


def _lookup(table: dict[str, tuple[str, str]], code: object, lang: str) -> str:
    if code is None or (isinstance(code, float) and code != code):
        return unknown(lang)
    text = str(code)
    pair = table.get(text)
    if pair is None:
        return text.replace("_", " ")
    return label(pair, lang)


def criterion_name(criterion: str, lang: str) -> str:
    """Name of a scoring criterion (``"size"`` → ``"用地规模"`` / ``"land size"``)."""
    return _lookup(words.CRITERION_NAMES, criterion, lang)


def status_name(status: str | None, lang: str) -> str:
    """Name of an asset status (``"idle"`` → ``"闲置"`` / ``"idle"``)."""
    return _lookup(words._STATUS_NAMES, status, lang)


def tenure_name(mode: str | None, lang: str) -> str:
    """Name of a tenure mode (``"lease_then_transfer"`` → ``"先租后让"``)."""
    return _lookup(words._TENURE_NAMES, mode, lang)


def tenure_names(modes: Iterable[str] | None, lang: str) -> str:
    """Tenure modes joined for reading (``"租赁、出让/转让"``; unknown when ``None`` or empty)."""
    names = [tenure_name(m, lang) for m in (modes or ())]
    if not names:
        return unknown(lang)
    return ("、" if lang == "zh" else ", ").join(names)


def obstacle_name(kind: str | None, lang: str) -> str:
    """Name of an obstacle kind (``"planning_adjustment"`` → ``"规划调整"``)."""
    return _lookup(words._OBSTACLE_NAMES, kind, lang)


def layer_name(layer: str | None, lang: str) -> str:
    """Name of a reference layer (``"highway_exit"`` → ``"高速出口"`` / ``"highway exit"``)."""
    return _lookup(words._LAYER_NAMES, layer, lang)


def path_name(path: str | None, lang: str) -> str:
    """Short label of a land-use path (``"change_of_use"`` → ``"需办理用途变更"``)."""
    if path is None or path == UNKNOWN_PATH:
        return "现状用途未知" if lang == "zh" else "current use unknown"
    return path_label(path, lang)


#: Column headers of a shortlist and its near misses (column → (zh, en)); ``s_{criterion}``
#: and ``c_{criterion}`` are named after the criterion (see :func:`column_header`).
HEADERS: Final[dict[str, tuple[str, str]]] = {
    "rank": ("排名", "Rank"),
    "asset_id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "score": ("得分", "Score"),
    "move_in_days": ("预计入驻（天）", "Move-in (days)"),
    "move_in_date": ("预计入驻日期", "Move-in date"),
    "reasons": ("推荐理由", "Reasons"),
    "district": ("片区", "District"),
    "land_area_mu": ("用地面积（亩）", "Land (mu)"),
    "land_area_m2": ("用地面积（㎡）", "Land (m²)"),
    "building_area_m2": ("建筑面积（㎡）", "Buildings (m²)"),
    "status": ("状态", "Status"),
    "tenure": ("取得方式", "Tenure"),
    "land_use_path": ("用地路径", "Land-use path"),
    "rent_yuan_m2_month": ("租金（元/㎡/月）", "Rent (yuan/m²/month)"),
    "land_price_yuan_mu": ("地价（元/亩）", "Land price (yuan/mu)"),
    "failed": ("未满足条件", "Failed criterion"),
    "by": ("差距（占要求比例）", "Missed by (share of the bound)"),
    "detail": ("说明", "Detail"),
    "criterion": ("指标", "Criterion"),
    "weight": ("权重", "Weight"),
    "contribution": ("贡献", "Contribution"),
    "reason": ("原因", "Reason"),
}


def column_header(column: str, lang: str) -> str:
    """The header a person reads for a result column, in ``lang``.

    ``s_size`` reads "用地规模得分" / "land size score", ``c_size`` "用地规模贡献" /
    "land size contribution"; an unlisted column its name with spaces.
    """
    lang = check_lang(lang)
    if column in HEADERS:
        return label(HEADERS[column], lang)
    prefix, _, criterion = column.partition("_")
    if criterion in words.CRITERION_NAMES and prefix in ("s", "c"):
        name = criterion_name(criterion, lang)
        if lang == "zh":
            return name + ("得分" if prefix == "s" else "贡献")
        text = f"{name} {'score' if prefix == 's' else 'contribution'}"
        return text[:1].upper() + text[1:]
    return column.replace("_", " ")


def column_headers(columns: Iterable[str], lang: str) -> dict[str, str]:
    """Headers of ``columns`` (column → header), ready for ``DataFrame.rename(columns=…)``."""
    return {c: column_header(c, lang) for c in columns}
