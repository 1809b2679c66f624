"""Understand spreadsheet and attribute-table headers and enumerations, Chinese and English.

:func:`match_header` maps a column header to a canonical field and, for numbers, the unit the
header states: ``面积（亩）``, ``用地面积/亩``, ``建筑面积（万㎡）``, ``租金(元/平方米·天)``,
``月租金（万元）``, ``land area (mu)`` and ``rent_yuan_m2_day`` are all understood. A header with
no unit (a bare ``面积``) gets ``unit=None``: the caller decides.

:func:`map_values` maps enumerations written in Chinese (状态 闲置, 供地方式 先租后让、出让, 是/否)
to the canonical values of :mod:`assetmatch.schema`, collecting a problem for every value it
does not know.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from assetmatch._errors import Problem
from assetmatch.schema import ASSET_COLUMNS, KINDS, STATUSES, TENURE_MODES
from assetmatch.units import UNITS

logger = logging.getLogger(__name__)

#: Fields besides the asset columns that a header may name.
LOCATION_FIELDS: Final = ("lon", "lat", "x", "y", "wkt")


@dataclass(frozen=True)
class HeaderMatch:
    """What a header names.

    Attributes
    ----------
    field
        Canonical column (a key of :data:`assetmatch.schema.ASSET_COLUMNS`) or one of
        ``"lon"``, ``"lat"``, ``"x"``, ``"y"``, ``"wkt"``.
    unit
        Unit key of :data:`assetmatch.units.UNITS` stated by the header, or None when the
        header states none, or states one that is ambiguous (``租金（元/㎡）``: per day, month
        or year?) or does not fit the field.
    unit_text
        The unit as written in the header when one was written (also when it was not
        understood), so a caller can tell "no unit" from "unit not understood".
    """

    field: str
    unit: str | None = None
    unit_text: str | None = None


# --------------------------------------------------------------------------- vocabulary

_FIELD_DIMENSION: Final[dict[str, str]] = {
    "declared_land_area_m2": "area",
    "building_area_m2": "area",
    "floor_height_m": "length",
    "floor_load_kn_m2": "floor_load",
    "power_kva": "power",
    "rent_yuan_m2_month": "rent",
    "land_price_yuan_mu": "land_price",
    "tax_yuan_per_mu": "land_price",
    "output_yuan_per_mu": "land_price",
    "developed_share": "share",
    "invested_share": "share",
}

#: Canonical names whose unit is in the name.
_CANONICAL_UNITS: Final[dict[str, str]] = {
    "declared_land_area_m2": "m2",
    "land_area_m2": "m2",
    "building_area_m2": "m2",
    "floor_height_m": "m",
    "floor_load_kn_m2": "kn_m2",
    "power_kva": "kva",
    "rent_yuan_m2_month": "yuan_m2_month",
    "land_price_yuan_mu": "yuan_mu",
    "tax_yuan_per_mu": "yuan_mu",
    "output_yuan_per_mu": "yuan_mu",
}

_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "asset_id": (
        "id",
        "编号",
        "地块编号",
        "资产编号",
        "宗地编号",
        "宗地号",
        "地块号",
        "资产id",
        "地块id",
        "asset id",
        "assetid",
        "parcel id",
        "plot id",
    ),
    "name": (
        "名称",
        "项目名称",
        "厂区名称",
        "地块名称",
        "资产名称",
        "厂房名称",
        "宗地名称",
        "asset name",
    ),
    "kind": ("类型", "资产类型", "资产类别", "type", "asset type"),
    "declared_land_area_m2": (
        "面积",
        "用地面积",
        "占地面积",
        "土地面积",
        "宗地面积",
        "地块面积",
        "土地总面积",
        "用地总面积",
        "area",
        "land area",
        "declared land area",
        "site area",
        "plot area",
        "land_area_m2",
    ),
    "building_area_m2": (
        "建筑面积",
        "厂房面积",
        "总建筑面积",
        "厂房建筑面积",
        "建筑总面积",
        "房屋建筑面积",
        "building area",
        "floor area",
        "gross floor area",
        "gfa",
    ),
    "floors": ("层数", "楼层数", "建筑层数", "floors", "storeys", "stories", "number of floors"),
    "floor_height_m": ("层高", "厂房层高", "floor height", "storey height"),
    "floor_load_kn_m2": (
        "承重",
        "楼面荷载",
        "楼面承重",
        "地面承重",
        "荷载",
        "楼板承重",
        "floor load",
        "load",
    ),
    "power_kva": (
        "电力",
        "变压器容量",
        "用电容量",
        "供电容量",
        "电力容量",
        "配电容量",
        "power",
        "power capacity",
        "transformer capacity",
    ),
    "land_use": (
        "用途",
        "土地用途",
        "用地性质",
        "地类",
        "地类编码",
        "地类代码",
        "规划用途",
        "规划用地性质",
        "land use",
        "landuse",
        "land use code",
        "dlbm",
    ),
    "land_use_scheme": (
        "地类标准",
        "分类标准",
        "用地分类标准",
        "地类分类标准",
        "land use scheme",
        "scheme",
    ),
    "status": ("状态", "现状", "资产状态", "使用状态", "利用状态", "status"),
    "tenure": (
        "取得方式",
        "供地方式",
        "流转方式",
        "处置方式",
        "供应方式",
        "招商方式",
        "tenure",
        "tenure modes",
    ),
    "rent_yuan_m2_month": (
        "租金",
        "月租金",
        "租金单价",
        "租金价格",
        "出租价格",
        "挂牌租金",
        "rent",
        "asking rent",
    ),
    "land_price_yuan_mu": (
        "地价",
        "出让价格",
        "土地价格",
        "出让单价",
        "土地单价",
        "转让价格",
        "land price",
        "price",
    ),
    "idle_since": (
        "闲置时间",
        "闲置起始",
        "闲置起始时间",
        "闲置日期",
        "闲置开始时间",
        "idle since",
    ),
    "ready_date": ("可交付时间", "交地时间", "交付时间", "可交地时间", "ready date", "ready"),
    "net_land": ("净地", "是否净地", "net land"),
    "agreed_start_date": (
        "约定动工日期",
        "约定动工开发日期",
        "合同约定动工日期",
        "约定开工日期",
        "约定开工时间",
        "约定动工时间",
        "应动工日期",
        "agreed start date",
        "agreed start",
    ),
    "developed_share": (
        "已开发面积比例",
        "开发面积比例",
        "已开发比例",
        "已开发面积占比",
        "开发建设面积比例",
        "developed share",
    ),
    "invested_share": (
        "已投资比例",
        "已投资额比例",
        "投资比例",
        "已投资额占比",
        "投资完成比例",
        "invested share",
    ),
    "government_delay": (
        "政府原因",
        "是否政府原因",
        "政府原因延迟",
        "政府原因造成",
        "政府原因或不可抗力",
        "不可抗力",
        "government delay",
    ),
    "obstacles": ("障碍", "制约因素", "存在问题", "主要问题", "obstacles", "constraints"),
    "district": (
        "片区",
        "园区",
        "区域",
        "所属片区",
        "所属园区",
        "所属区域",
        "所在片区",
        "所在园区",
        "所在区域",
        "district",
        "zone",
    ),
    "tax_yuan_per_mu": ("亩均税收", "tax per mu", "tax yuan per mu"),
    "output_yuan_per_mu": ("亩均产值", "亩均产出", "output per mu", "output yuan per mu"),
    "owner": ("业主", "权利人", "产权人", "产权单位", "权属人", "土地使用权人", "owner"),
    "contact": ("联系人", "联系方式", "电话", "联系电话", "contact", "phone", "tel", "telephone"),
    "lon": ("经度", "lon", "lng", "long", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "x": ("x", "x坐标", "东坐标", "easting", "横坐标", "x coordinate"),
    "y": ("y", "y坐标", "北坐标", "northing", "纵坐标", "y coordinate"),
    "wkt": ("wkt", "geometry", "geom", "几何", "几何图形", "the_geom"),
}

#: Substrings that identify a field when no alias matches exactly, tried in order.
_CONTAINS: Final[tuple[tuple[str, str], ...]] = (
    ("亩均税收", "tax_yuan_per_mu"),
    ("亩均产值", "output_yuan_per_mu"),
    ("建筑面积", "building_area_m2"),
    ("厂房面积", "building_area_m2"),
    ("用地面积", "declared_land_area_m2"),
    ("占地面积", "declared_land_area_m2"),
    ("土地面积", "declared_land_area_m2"),
    ("宗地面积", "declared_land_area_m2"),
    ("租金", "rent_yuan_m2_month"),
    ("出让价格", "land_price_yuan_mu"),
    ("土地价格", "land_price_yuan_mu"),
    ("地价", "land_price_yuan_mu"),
    ("变压器", "power_kva"),
    ("用电容量", "power_kva"),
    ("层高", "floor_height_m"),
    ("荷载", "floor_load_kn_m2"),
    ("承重", "floor_load_kn_m2"),
    ("联系电话", "contact"),
    ("联系人", "contact"),
    ("经度", "lon"),
    ("纬度", "lat"),
)

_SEPARATORS: Final = " _-:/\\|"


def _name_key(text: str) -> str:
    """Normalise a header name for lookup: NFKC, lower case, no spaces/underscores/hyphens."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("*", "").replace("※", "")
    return re.sub(r"[\s_\-:]+", "", text)


@functools.cache
def _alias_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for column in ASSET_COLUMNS:
        out[_name_key(column)] = column
    for fld, aliases in _ALIASES.items():
        for alias in aliases:
            out[_name_key(alias)] = fld
    out[_name_key("land_area_m2")] = "declared_land_area_m2"
    return out


def _field_of(name: str) -> str | None:
    key = _name_key(name)
    if not key:
        return None
    hit = _alias_lookup().get(key)
    if hit is not None:
        return hit
    for needle, fld in _CONTAINS:
        if needle in key:
            return fld
    return None


# --------------------------------------------------------------------------- units

_UNIT_WORDS: Final[tuple[tuple[str, str], ...]] = (
    # order matters: longer words first
    ("万平方米", "万m2"),
    ("万平米", "万m2"),
    ("平方公里", "km2"),
    ("平方千米", "km2"),
    ("平方米", "m2"),
    ("平米", "m2"),
    ("平方", "m2"),
    ("m^2", "m2"),
    ("sqm", "m2"),
    ("sq.m", "m2"),
    ("sqkm", "km2"),
    ("hectares", "ha"),
    ("hectare", "ha"),
    ("公顷", "ha"),
    ("wanyuan", "万元"),
    ("wan/yuan", "万元"),
    ("wan/m2", "万m2"),
    ("人民币", ""),
    ("rmb", "元"),
    ("cny", "元"),
    ("yuan", "元"),
    ("千伏安", "kva"),
    ("兆伏安", "mva"),
    ("千瓦", "kw"),
    ("兆瓦", "mw"),
    ("千牛", "kn"),
    ("kpa", "kn/m2"),
    ("公斤", "kg"),
    ("千克", "kg"),
    ("吨", "t"),
    ("厘米", "cm"),
    ("毫米", "mm"),
    ("公里", "km"),
    ("千米", "km"),
    ("米", "m"),
    ("亩", "mu"),
)
_TIME_WORDS: Final[dict[str, str]] = {
    "天": "day",
    "日": "day",
    "day": "day",
    "d": "day",
    "月": "month",
    "month": "month",
    "mon": "month",
    "mo": "month",
    "年": "year",
    "year": "year",
    "yr": "year",
    "a": "year",
}
_SIMPLE_UNITS: Final[dict[str, str]] = {
    "m2": "m2",
    "mu": "mu",
    "ha": "ha",
    "万m2": "wan_m2",
    "km2": "km2",
    "m": "m",
    "cm": "cm",
    "mm": "mm",
    "km": "km",
    "kva": "kva",
    "kw": "kw",
    "mva": "mva",
    "mw": "mw",
    "%": "percent",
    "percent": "percent",
    "百分比": "percent",
}
_MONEY: Final = ("元", "万元")


def _unit_tokens(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text).lower().strip()
    t = re.sub(r"\s+", "", t)
    for sep in ("·", "•", "・", "∙", "*", "每"):
        t = t.replace(sep, "/")
    t = t.replace("per", "/").replace("_", "/").replace("\\", "/")
    t = t.replace("(", "/").replace(")", "").replace("[", "/").replace("]", "")
    for word, repl in _UNIT_WORDS:
        t = t.replace(word, repl)
    t = t.replace("万/元", "万元").replace("wan/万元", "万元").replace("wan/", "万")
    tokens = [tok for tok in t.split("/") if tok]
    return [_TIME_WORDS.get(tok, tok) for tok in tokens if tok not in ("total", "land")]


def parse_unit(text: str, field: str | None = None, header_name: str = "") -> str | None:
    """Read a unit written in a header (``亩``, ``元/㎡/月``, ``万元/亩``, ``kN/m2`` …).

    Parameters
    ----------
    text
        The unit as written, without the brackets.
    field
        Canonical field the header names; it settles units that depend on it (``元/㎡`` is a
        land price per m² for ``land_price_yuan_mu``; ``万元`` alone is a monthly total for a
        ``月租金`` header and a per-mu amount for ``亩均税收``).
    header_name
        The header's name part, used for the period of a rent (``月``/``日``/``年``).

    Returns
    -------
    str or None
        Unit key of :data:`assetmatch.units.UNITS`, or None if not understood or ambiguous.
    """
    raw = unicodedata.normalize("NFKC", text).strip().lower()
    if raw in UNITS:
        return raw
    tokens = _unit_tokens(text)
    if not tokens:
        return None
    if len(tokens) == 1:
        tok = tokens[0]
        if tok in _SIMPLE_UNITS:
            return _SIMPLE_UNITS[tok]
        if tok in _MONEY:
            return _money_only(tok == "万元", field, header_name)
        return None
    numerator, denominators = tokens[0], frozenset(tokens[1:])
    if numerator in ("kn", "t", "kg") and denominators == {"m2"}:
        return f"{numerator}_m2"
    if numerator not in _MONEY:
        return None
    wan = numerator == "万元"
    prefix = "wan_yuan" if wan else "yuan"
    if denominators == {"m2", "month"}:
        return None if wan else "yuan_m2_month"
    if denominators == {"m2", "day"}:
        return None if wan else "yuan_m2_day"
    if denominators == {"m2", "year"}:
        return None if wan else "yuan_m2_year"
    if denominators == {"month"}:
        return f"{prefix}_month_total"
    if denominators == {"year"}:
        if field in ("tax_yuan_per_mu", "output_yuan_per_mu"):
            return f"{prefix}_mu"  # 亩均税收（万元/年）: per mu by the field's definition
        return f"{prefix}_year_total"
    if denominators in ({"mu"}, {"mu", "year"}):
        return f"{prefix}_mu"
    if denominators == {"ha"}:
        return f"{prefix}_ha"
    if denominators == {"m2"}:
        if field == "rent_yuan_m2_month":
            period = _period_in(header_name)
            return None if wan or period is None else f"yuan_m2_{period}"
        return f"{prefix}_m2_land"
    return None


def _period_in(name: str) -> str | None:
    for char, period in (("日", "day"), ("天", "day"), ("月", "month"), ("年", "year")):
        if char in name:
            return period
    return None


def _money_only(wan: bool, field: str | None, header_name: str) -> str | None:
    prefix = "wan_yuan" if wan else "yuan"
    if field == "rent_yuan_m2_month":
        period = _period_in(header_name)
        if period in ("month", "year"):
            return f"{prefix}_{period}_total"
        return None
    if field in ("tax_yuan_per_mu", "output_yuan_per_mu"):
        return f"{prefix}_mu"
    return None


# --------------------------------------------------------------------------- headers


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _with_unit(fld: str, unit_text: str | None, name: str) -> HeaderMatch:
    dimension = _FIELD_DIMENSION.get(fld)
    if dimension is None or unit_text is None:
        return HeaderMatch(fld)
    unit = parse_unit(unit_text, fld, name)
    if unit is not None and UNITS[unit].dimension != dimension:
        logger.debug("header unit %r does not fit field %s", unit_text, fld)
        unit = None
    return HeaderMatch(fld, unit, unit_text)


def _canonical_with_unit(key: str) -> HeaderMatch | None:
    """English canonical names, with or without the unit suffix (``land_price_yuan_mu``)."""
    for column, unit in _CANONICAL_UNITS.items():
        if key == _name_key(column):
            fld = "declared_land_area_m2" if column == "land_area_m2" else column
            return HeaderMatch(fld, unit)
    return None


def match_header(header: str) -> HeaderMatch | None:
    """Map a spreadsheet or attribute-table header to a canonical field and its unit.

    Parameters
    ----------
    header
        The header as written, e.g. ``"占地面积（亩）"``, ``"租金(元/平方米·天)"``,
        ``"月租金（万元）"``, ``"land area (mu)"``, ``"rent_yuan_m2_day"``.

    Returns
    -------
    HeaderMatch or None
        None when the header names no known field. ``land_area_m2`` (derived by the store)
        maps to ``declared_land_area_m2``. ``X``/``Y`` headers map to ``x``/``y`` literally;
        Chinese survey tables often label the northing X, which
        :func:`assetmatch.geo.crs.detect_swapped_axes` catches later.
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    if not text:
        return None
    key = _name_key(text)

    canonical = _canonical_with_unit(key)
    if canonical is not None:
        return canonical
    hit = _alias_lookup().get(key)
    if hit is not None:
        return _with_unit(hit, None, text)

    # name(unit), name[unit], name【unit】 (NFKC turned full-width brackets into ASCII)
    bracket = re.match(r"^(.*?)\s*[\(\[【](.*?)[\)\]】]\s*(.*)$", text)
    if bracket:
        name, unit_text, rest = bracket.groups()
        fld = _field_of(name) or (_field_of(name + rest) if rest else None)
        if fld is not None:
            return _with_unit(fld, unit_text.strip() or None, name)

    # name/unit, name unit, name_unit, or a unit glued to the name (面积亩, 建筑面积m2)
    for cut in range(len(text) - 1, 0, -1):
        name = text[:cut].rstrip(_SEPARATORS)
        unit_text = text[cut:].strip(_SEPARATORS)
        if (
            not name
            or not unit_text
            or (_is_ascii_alnum(text[cut - 1]) and _is_ascii_alnum(text[cut]))
        ):
            continue  # never split inside an ASCII word such as "m2" or "area"
        fld = _alias_lookup().get(_name_key(name))
        if fld is None or fld not in _FIELD_DIMENSION:
            continue
        unit = parse_unit(unit_text, fld, name)
        if unit is not None and UNITS[unit].dimension == _FIELD_DIMENSION[fld]:
            return HeaderMatch(fld, unit, unit_text)

    # compound headers such as 联系人/电话: every part names the same field
    parts = [p for p in re.split(r"[/、,;&+]|及|和", text) if p.strip()]
    if len(parts) > 1:
        fields = {_field_of(p) for p in parts}
        only = fields.pop() if len(fields) == 1 else None
        return HeaderMatch(only) if only is not None else None

    fld = _field_of(text)
    if fld is not None:
        return _with_unit(fld, None, text)
    logger.debug("header %r names no known field", header)
    return None


# --------------------------------------------------------------------------- values

_STATUS_WORDS: Final[dict[str, str]] = {
    "闲置": "idle",
    "空置": "idle",
    "闲置中": "idle",
    "低效": "low_efficiency",
    "低效用地": "low_efficiency",
    "低效利用": "low_efficiency",
    "可招商": "available",
    "待招商": "available",
    "招商中": "available",
    "可出租": "available",
    "洽谈中": "negotiating",
    "洽谈": "negotiating",
    "在谈": "negotiating",
    "意向洽谈": "negotiating",
    "预留": "reserved",
    "意向": "reserved",
    "已预留": "reserved",
    "已意向": "reserved",
    "可出让": "available",
    "可租赁": "available",
    "可租可售": "available",
    "已出租": "leased",
    "出租中": "leased",
    "已出让": "transferred",
    "已转让": "transferred",
    "在用": "in_use",
    "使用中": "in_use",
    "正常使用": "in_use",
    "撤回": "withdrawn",
    "退出": "withdrawn",
    "已撤回": "withdrawn",
    "下架": "withdrawn",
    "已下架": "withdrawn",
    "已退出": "withdrawn",
}
_KIND_WORDS: Final[dict[str, str]] = {
    "土地": "land",
    "空地": "land",
    "地块": "land",
    "净地": "land",
    "宗地": "land",
    "厂房": "factory",
    "标准厂房": "factory",
    "闲置厂房": "factory",
    "仓库": "factory",
    "厂区": "campus",
    "园区": "campus",
    "土地+厂房": "campus",
    "厂房+土地": "campus",
    "土地及厂房": "campus",
    "地块+厂房": "campus",
}
_TENURE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "租赁": ("lease",),
    "出租": ("lease",),
    "租": ("lease",),
    "出让": ("transfer",),
    "转让": ("transfer",),
    "出售": ("transfer",),
    "售": ("transfer",),
    "先租后让": ("lease_then_transfer",),
    "租让结合": ("lease_then_transfer",),
    "法拍": ("auction",),
    "司法拍卖": ("auction",),
    "拍卖": ("auction",),
    "租售均可": ("lease", "transfer"),
    "可租可售": ("lease", "transfer"),
    "租售": ("lease", "transfer"),
}
_BOOL_WORDS: Final[dict[str, bool]] = {
    "是": True,
    "有": True,
    "y": True,
    "yes": True,
    "true": True,
    "t": True,
    "1": True,
    "√": True,
    "✓": True,
    "对": True,
    "否": False,
    "无": False,
    "n": False,
    "no": False,
    "false": False,
    "f": False,
    "0": False,
    "×": False,
    "✗": False,
    "不是": False,
}
_NULL_TEXT: Final = frozenset({"", "-", "--", "—", "——", "/", "nan", "none", "null", "n/a"})


def _value_key(value: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).lower()


def _english(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _is_null(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and _value_key(value) in _NULL_TEXT


def _allowed_text(canonical: tuple[str, ...], words: dict[str, Any]) -> str:
    def zh(value: str) -> str:
        terms = [w for w, v in words.items() if v == value or v == (value,)]
        return f"{value} ({'/'.join(terms[:3])})" if terms else value

    return f"expected one of {', '.join(zh(c) for c in canonical)}"


def _map_enum(value: object, fld: str) -> tuple[object, str | None]:
    if fld == "status":
        key = _value_key(value)
        hit = _STATUS_WORDS.get(key) or (_english(value) if _english(value) in STATUSES else None)
        if hit is None:
            return None, f"unknown status {value!r}; {_allowed_text(STATUSES, _STATUS_WORDS)}"
        return hit, None
    if fld == "kind":
        key = _value_key(value)
        hit = _KIND_WORDS.get(key) or (key if key in KINDS else None)
        if hit is None:
            return None, f"unknown kind {value!r}; {_allowed_text(KINDS, _KIND_WORDS)}"
        return hit, None
    if fld == "tenure":
        return _map_tenure(value)
    return _map_bool(value, fld)


def _map_tenure(value: object) -> tuple[object, str | None]:
    if isinstance(value, list | tuple | set | np.ndarray):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[、,;/|，；／]+|\s+|或|及|和", unicodedata.normalize("NFKC", str(value)))
    modes: list[str] = []
    unknown: list[str] = []
    for item in items:
        key = _value_key(item)
        if not key:
            continue
        hit = _TENURE_WORDS.get(key) or (
            (_english(key),) if _english(key) in TENURE_MODES else None
        )
        if hit is None:
            unknown.append(item.strip())
            continue
        modes.extend(m for m in hit if m not in modes)
    if unknown:
        return None, (
            f"unknown tenure mode {', '.join(map(repr, unknown))} in {value!r}; "
            f"{_allowed_text(TENURE_MODES, _TENURE_WORDS)}"
        )
    if not modes:
        return None, None
    return modes, None


def _map_bool(value: object, fld: str) -> tuple[object, str | None]:
    if isinstance(value, bool | np.bool_):
        return bool(value), None
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value), None
    hit = _BOOL_WORDS.get(_value_key(value))
    if hit is None:
        return None, (
            f"{value!r} is not a yes/no value for {fld}; expected 是/否, 有/无, Y/N, "
            "true/false or 1/0"
        )
    return hit, None


def _mappable_fields() -> tuple[str, ...]:
    bools = tuple(c for c, kind in ASSET_COLUMNS.items() if kind == "bool")
    return ("status", "kind", "tenure", *bools)


def map_values(field: str, values: Any) -> tuple[np.ndarray, list[Problem]]:
    """Map enumeration values written in Chinese or English to canonical values.

    Parameters
    ----------
    field
        ``"status"``, ``"kind"``, ``"tenure"`` or a yes/no field (``"net_land"``,
        ``"has_boundary"``).
    values
        Series (its index labels name the rows in problems) or sequence. Missing values (None,
        NaN, empty or ``-``) stay None without a problem.

    Returns
    -------
    numpy.ndarray
        Object array: a canonical string for status and kind (e.g. ``闲置`` → ``"idle"``), a
        list of modes for tenure (``先租后让、出让`` → ``["lease_then_transfer",
        "transfer"]``), a bool for yes/no fields; None where missing or unknown.
    list of Problem
        One per unknown value, naming the row, the field and the allowed values.

    Raises
    ------
    ValueError
        If ``field`` is not one of the fields above.
    """
    allowed = _mappable_fields()
    if field not in allowed:
        raise ValueError(
            f"The 'field' parameter of map_values must be one of {', '.join(allowed)}. "
            f"Got {field!r} instead."
        )
    if isinstance(values, pd.Series):
        labels: list[Any] = list(values.index)
        raw = values.to_numpy(dtype=object)
    else:
        raw = np.empty(len(values), dtype=object)
        raw[:] = list(values)
        labels = list(range(len(raw)))
    out = np.full(len(raw), None, dtype=object)
    problems: list[Problem] = []
    cache: dict[object, tuple[object, str | None]] = {}
    for i, value in enumerate(raw):
        if isinstance(value, list | tuple | set | np.ndarray):
            if len(value) == 0:
                continue
            mapped, reason = _map_enum(value, field)
        elif _is_null(value):
            continue
        else:
            try:
                mapped, reason = cache[value]
            except (KeyError, TypeError):
                mapped, reason = _map_enum(value, field)
                with contextlib.suppress(TypeError):
                    cache[value] = (mapped, reason)
        if reason is not None:
            problems.append(Problem(row=labels[i], field=field, reason=reason))
            continue
        out[i] = list(mapped) if isinstance(mapped, list) else mapped
    logger.debug("mapped %d %s values, %d problems", len(raw), field, len(problems))
    return out, problems
