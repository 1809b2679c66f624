"""The reasons of an import report in Chinese.

The import's checks word their findings in English (``Problem.reason``, the ``reason`` and
``message`` columns of :class:`~assetmatch.ingest.report.ImportReport`). :func:`reason_zh` gives
the same finding in Chinese for ``report.to_text("zh")``: one rule per reason the import writes
(values, dates, yes/no and enumerations, land-use codes, ids, geometry and its repairs,
placement), the cell values and codes it quotes kept as given. Field, unit, scheme, land-class,
geometry-type and GEOS names are read through the same tables as the rest of the library
(:mod:`assetmatch.explain.words`, :mod:`assetmatch.domain.landuse`).

A reason no rule knows is returned as it is (and logged), so a new check never loses its words;
``tests/test_report_language.py`` runs messy imports and the checks themselves through the
rules and fails on any English word left in a Chinese report.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Final

from ..domain import landuse
from ..explain import words

logger = logging.getLogger(__name__)

#: Canonical fields as a Chinese report names them (when the source's own header is unknown).
FIELD_ZH: Final[dict[str, str]] = {
    "asset_id": "编号",
    "name": "名称",
    "kind": "类型",
    "land_area_m2": "用地面积（㎡）",
    "declared_land_area_m2": "申报用地面积（㎡）",
    "has_boundary": "有无边界",
    "building_area_m2": "建筑面积（㎡）",
    "floors": "层数",
    "floor_height_m": "层高（米）",
    "floor_load_kn_m2": "楼面荷载（kN/㎡）",
    "power_kva": "供电容量（kVA）",
    "land_use": "用地性质",
    "land_use_scheme": "地类标准",
    "status": "状态",
    "tenure": "取得方式",
    "rent_yuan_m2_month": "租金（元/㎡/月）",
    "land_price_yuan_mu": "地价（元/亩）",
    "idle_since": "闲置起始日期",
    "ready_date": "可交付日期",
    "agreed_start_date": "约定动工日期",
    "developed_share": "已开发面积比例",
    "invested_share": "已投资比例",
    "government_delay": "是否政府原因",
    "net_land": "是否净地",
    "obstacles": "障碍",
    "district": "片区",
    "tax_yuan_per_mu": "亩均税收（元/亩）",
    "output_yuan_per_mu": "亩均产值（元/亩）",
    "owner": "业主",
    "contact": "联系方式",
    "geometry": "几何图形",
    "lon": "经度",
    "lat": "纬度",
    "x": "X 坐标",
    "y": "Y 坐标",
    "wkt": "WKT 几何",
    "extra": "其他列",
    "coords": "坐标类型",
}

#: Unit keys of :data:`assetmatch.units.UNITS` as written in Chinese.
UNIT_ZH: Final[dict[str, str]] = {
    "m2": "㎡",
    "mu": "亩",
    "ha": "公顷",
    "wan_m2": "万㎡",
    "km2": "平方公里",
    "yuan_m2_month": "元/㎡/月",
    "yuan_m2_day": "元/㎡/天",
    "yuan_m2_year": "元/㎡/年",
    "yuan_month_total": "元/月（总额）",
    "wan_yuan_month_total": "万元/月（总额）",
    "yuan_year_total": "元/年（总额）",
    "wan_yuan_year_total": "万元/年（总额）",
    "yuan_mu": "元/亩",
    "wan_yuan_mu": "万元/亩",
    "yuan_m2_land": "元/㎡（土地）",
    "wan_yuan_m2_land": "万元/㎡（土地）",
    "yuan_ha": "元/公顷",
    "wan_yuan_ha": "万元/公顷",
    "m": "米",
    "cm": "厘米",
    "mm": "毫米",
    "km": "公里",
    "kn_m2": "kN/㎡",
    "t_m2": "吨/㎡",
    "kg_m2": "公斤/㎡",
    "kva": "kVA",
    "mva": "MVA",
    "kw": "kW",
    "mw": "MW",
    "fraction": "（比例）",
    "percent": "%",
}

_GEOMETRY_ZH: Final[dict[str, str]] = {
    "Point": "点",
    "LineString": "线",
    "LinearRing": "线环",
    "Polygon": "多边形",
    "MultiPoint": "多点",
    "MultiLineString": "多线",
    "MultiPolygon": "多部件多边形",
    "GeometryCollection": "几何集合",
}

#: GEOS validity reasons (``shapely.is_valid_reason``) in Chinese.
_GEOS_ZH: Final[dict[str, str]] = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points in geometry component": "几何部件的点过少",
    "Too few distinct points in geometry component": "几何部件的不同点过少",
    "Hole lies outside shell": "洞位于外环之外",
    "Holes are nested": "洞相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
    "Repeated Point": "重复点",
    "Valid Geometry": "有效",
}

_SCHEME_ZH: Final[dict[str, str]] = {
    "2020": "《国土空间调查、规划、用途管制用地用海分类指南》（2020）",
    "gbt21010-2017": "《土地利用现状分类》（GB/T 21010-2017）",
    "tdsurvey3": "三调工作分类",
}


def _scheme(text: str) -> str:
    """A scheme as the English reasons name it (long or short) → its Chinese name."""
    for key, long in landuse.SCHEME_NAMES.items():
        if text in (long, landuse._SHORT_SCHEME_NAMES[key]):
            return _SCHEME_ZH[key]
    return text


def _land_class(code: str) -> str:
    if code == "a first-level group (too coarse)":
        return "一级类（过粗）"
    if code in landuse.LAND_CLASSES:
        return landuse.LAND_CLASSES[code][0]
    members = landuse.COMPOSITE_CLASSES.get(code)
    if members:
        return "、".join(
            sorted(landuse.LAND_CLASSES[m][0] for m in members if m in landuse.LAND_CLASSES)
        )
    return code


def _geos(text: str) -> str:
    m = re.fullmatch(r"(?P<what>[A-Za-z][A-Za-z -]*?)\s*(?P<at>\[.*\])?", text)
    if m and m["what"] in _GEOS_ZH:
        return _GEOS_ZH[m["what"]] + (m["at"] or "")
    return text


def _listing(text: str) -> str:
    """``a, b and c`` → ``a、b、c``."""
    return "、".join(re.split(r", | and ", text))


def _meanings(text: str) -> str:
    """``industrial in the 2020 classification and railway in GB/T …`` in Chinese."""
    names = sorted(
        {*landuse.SCHEME_NAMES.values(), *landuse._SHORT_SCHEME_NAMES.values()}, key=len
    )[::-1]
    scheme = "|".join(re.escape(s) for s in names)
    part = re.compile(rf"(?P<cls>.+?) in (?P<ss>(?:{scheme})(?: and (?:{scheme}))*)(?:, | and |$)")
    out = []
    for m in part.finditer(text):
        ss = re.findall(scheme, m["ss"])
        out.append(f"{'、'.join(_scheme(s) for s in ss)}中为{_land_class(m['cls'])}")
    return "；".join(out) if out else text


def _codes_in_scheme(text: str) -> str:
    """``0601 the third national … (三调), 1001 the 2020 classification`` in Chinese."""
    parts = re.findall(r"(\S+) (.+?)(?:, (?=\S+ (?:the |GB/T))|$)", text)
    return "、".join(f"{code}（{_scheme(s)}）" for code, s in parts) if parts else text


_STATUS_LIST = "、".join(words._STATUS_NAMES[s][0] for s in words._STATUS_NAMES)
_KIND_LIST = "土地、厂房、厂区（土地+厂房）"
_TENURE_LIST = "租赁、出让、先租后让、拍卖（几种方式用 、 分隔）"
_OBSTACLE_LIST = "、".join(f"{zh}（'{code}'）" for code, (zh, _) in words._OBSTACLE_NAMES.items())

#: Group names whose text is itself translated.
_GROUPS: Final[dict[str, Callable[[str], str]]] = {
    "fld": lambda f: FIELD_ZH.get(f, f),
    "unit": lambda u: UNIT_ZH.get(u, u),
    "geom": lambda g: _GEOMETRY_ZH.get(g, g),
    "geos": _geos,
    "scheme": _scheme,
    "list": _listing,
    "ex": lambda t: t.replace(", ", "、"),
    "meanings": _meanings,
    "codes": _codes_in_scheme,
}

_V = r"(?P<v>.+)"
_RULES: Final[list[tuple[str, str]]] = [  # the first that matches the whole reason wins
    (rf"delay {_V} is not a number", "延误天数 {v} 不是数字"),
    (rf"delay {_V} must be ≥ 0", "延误天数 {v} 须为不小于 0 的有限数"),
    # numbers and units
    (rf"{_V} is not a number", "{v} 不是数字"),
    (rf"{_V}: the unit (?P<u>'.*') does not fit this column", "{v}：单位 {u} 与该列不符"),
    (rf"{_V} read as (?P<n>\S+) \(an approximate value\)", "{v} 按 {n} 读取（约数）"),
    (rf"{_V} is not a finite number", "{v} 不是有限的数"),
    (rf"{_V} is negative", "{v} 是负数"),
    (
        rf"(?P<raw>.+) reads as {_V}, above 1: a share is 0–1 \(write 35% or 0\.35; a column "
        r"headed （%）, e\.g\. 已开发面积比例（%）, reads 35 as 35%\)",
        "{raw} 读作 {v}，大于 1：比例在 0–1 之间（写 35% 或 0.35；表头带（%）的列，"
        "如 已开发面积比例（%），把 35 读作 35%）",
    ),
    (
        r"a total monthly rent needs the building area of the same row to give 元/㎡/月",
        "月租金总额需要同一行的建筑面积，才能折算为 元/㎡/月",
    ),
    (
        rf"{_V} (?P<unit>\w+) is too large a number once converted to (?P<fld>\w+)",
        "{v} {unit} 换算为{fld}后数值过大",
    ),
    (
        r"area header gives no unit; read as m² \(write 面积（亩） or pass "
        r"columns=\{\.\.\.: \(field, 'mu'\)\}\)",
        "面积表头没有注明单位，按 ㎡ 读取（可写作 面积（亩），或用 columns= 指明单位 'mu'）",
    ),
    (
        r"declared (?P<d>\S+) m² \((?P<dm>\S+) mu\) but the boundary measures (?P<b>\S+) m² "
        r"\((?P<bm>\S+) mu\), (?P<r>\S+); the boundary's area is used",
        "申报 {d} ㎡（{dm} 亩），边界量得 {b} ㎡（{bm} 亩），相差 {r}；采用边界面积",
    ),
    (
        r"cell under (?P<h>.+) is a formula the file holds no value for; read as blank \(open "
        r"and save the file in Excel or WPS to compute it\)",
        "{h} 列的单元格是公式，文件中没有保存计算结果，按空白读取（在 Excel 或 WPS 中打开并保存"
        "文件即可算出）",
    ),
    # ids
    (r"missing: every asset needs an id", "缺少编号：每个资产都要有编号"),
    (r"missing: every record needs an id", "缺少编号：每条记录都要有编号"),
    (
        rf"{_V} holds a control character \((?P<u>U\+[0-9A-F]+)\); ids are printable text",
        "{v} 含控制字符（{u}）；编号须为可打印的文字",
    ),
    (r"(?P<n>\d+) characters; an id has at most (?P<m>\d+)", "{n} 个字符；编号最多 {m} 个字符"),
    (rf"duplicate id {_V} \(first at row (?P<r>.+)\)", "编号 {v} 重复（首次出现在第 {r} 行）"),
    # dates
    (r"missing: a date is needed \(YYYY-MM-DD\)", "缺少日期（YYYY-MM-DD）"),
    (r"missing: the text is empty \(use YYYY-MM-DD\)", "缺少日期：内容为空（请用 YYYY-MM-DD）"),
    (
        rf"{_V} is a number, not a date \(use YYYY-MM-DD\)",
        "{v} 是数字，不是日期（请用 YYYY-MM-DD）",
    ),
    (
        rf"{_V} is ambiguous: day/month or month/day\? write YYYY-MM-DD, or pass dayfirst=True "
        r"\((?P<a>[^)]*)\) or dayfirst=False \((?P<b>[^)]*)\)",
        "{v} 有歧义：是日/月还是月/日？请写作 YYYY-MM-DD，或传入 dayfirst=True（{a}）"
        "或 dayfirst=False（{b}）",
    ),
    (rf"{_V} is not a date \(use YYYY-MM-DD\)", "{v} 不是日期（请用 YYYY-MM-DD）"),
    (
        r"(?P<d>\S+) is out of range: dates must lie between (?P<a>\S+) and (?P<b>\S+)",
        "{d} 超出范围：日期须在 {a} 至 {b} 之间",
    ),
    # words: status, kind, tenure, yes/no, obstacles
    (rf"unknown status {_V}; expected one of .*", f"未知状态 {{v}}；应为：{_STATUS_LIST}"),
    (rf"unknown kind {_V}; expected one of .*", f"未知类型 {{v}}；应为：{_KIND_LIST}"),
    (
        rf"unknown tenure mode (?P<items>.+?) in {_V}; expected one of .*",
        f"{{v}} 中的取得方式 {{items}} 无法识别；应为：{_TENURE_LIST}",
    ),
    (
        rf"{_V} is not a yes/no value for (?P<fld>\w+); expected 是/否, 有/无, Y/N, true/false "
        r"or 1/0",
        "{v} 不是“是/否”值（{fld}）；应为 是/否、有/无、Y/N 或 1/0",
    ),
    (
        r"invalid JSON: .*line (?P<l>\d+) column (?P<c>\d+) \(char \d+\)",
        "JSON 格式有误（第 {l} 行第 {c} 列）",
    ),
    (rf"{_V} is not a list of obstacles", "{v} 不是障碍列表"),
    (rf"{_V} is not an obstacle record", "{v} 不是一条障碍记录"),
    (rf"unknown obstacle kind {_V}; allowed: .*", f"未知障碍类型 {{v}}；可选：{_OBSTACLE_LIST}"),
    # land use
    (
        r"(?P<w>'[^']*') read as (?P<code>\S+) (?P<name>\S+) \([^)]*\) in (?P<scheme>.+); "
        r"give the code to be exact",
        "{w} 按{scheme}读作 {code} {name}；如需准确，请填写地类代码",
    ),
    (
        rf"Unknown land-use scheme {_V}; expected one of (?P<list>.+?) \(aliases such as .*\)\.",
        "未知地类标准 {v}；应为 {list} 之一"
        "（也可写作 'GB/T 21010-2017'、'三调'、'用地用海分类' 等）",
    ),
    (
        rf"Land-use code {_V} is the first-level group (?P<zh>\S+) \([^)]*\) in (?P<scheme>.+), "
        r"too coarse to say what the land is for; give a second-level code such as (?P<ex>.+)\.",
        "地类代码 {v} 是{scheme}中的一级类 {zh}，过粗，无法判断用途；请给出二级代码，如 {ex}",
    ),
    (
        rf"Unknown land-use code {_V}: it is in none of the schemes (?P<list>.+?)\. Valid codes "
        r"include (?P<a>.+) \(2020 classification\) and (?P<b>.+) \(GB/T 21010-2017\)\.",
        "地类代码 {v} 不属于任何地类标准（{list}）；有效代码如 {a}（2020 分类）、"
        "{b}（GB/T 21010-2017）",
    ),
    (
        r"Unknown land-use code (?P<v>.+?) in (?P<scheme>.+); valid codes include (?P<ex>.+)\.",
        "{scheme}中没有地类代码 {v}；有效代码如 {ex}",
    ),
    (
        rf"Land-use name {_V} means different classes in different schemes \((?P<codes>.+)\); "
        r"give land_use_scheme\.",
        "地类名称 {v} 在不同标准中含义不同（{codes}）；请注明地类标准（land_use_scheme）",
    ),
    (r"Land-use code is missing\.", "缺少地类代码"),
    (
        rf"land-use code {_V} is ambiguous without its scheme: it means (?P<meanings>.+); "
        r"give land_use_scheme\.",
        "未注明地类标准时，地类代码 {v} 有歧义：{meanings}；请注明地类标准（land_use_scheme）",
    ),
    # geometry
    (r"missing geometry", "缺少几何图形（边界或位置）"),
    (r"empty geometry", "几何图形为空"),
    (r"non-finite coordinates \(NaN or infinity\)", "坐标不是有限数（NaN 或无穷大）"),
    (
        r"coordinates beyond any map \(\|x\| or \|y\| above (?P<m>\S+)\)",
        "坐标超出任何地图的范围（|x| 或 |y| 大于 {m}）",
    ),
    (
        r"a (?P<geom>\w+) has no area; give the parcel boundary as a polygon, or its location "
        r"as a point",
        "{geom}没有面积；请给出地块边界（多边形）或位置（点）",
    ),
    (
        r"a MultiPoint is not one location; give one point or the boundary polygon",
        "多点不是一个位置；请给出一个点或边界多边形",
    ),
    (r"a Point has no boundary and points are not accepted here", "点没有边界，此处不接受点"),
    (
        r"a GeometryCollection: kept its polygons, dropped (?P<n>\d+) other part\(s\)",
        "几何集合：保留其中的多边形，舍弃其他 {n} 个部分",
    ),
    (
        r"invalid (?P<geom>\w+) \((?P<geos>.*)\) repaired with make_valid\(method='structure'\)",
        "无效的{geom}（{geos}），已用 make_valid(method='structure') 修复",
    ),
    (
        r"dropped (?P<n>\d+) hole\(s\) lying outside the boundary \(a drawing error, not land\)",
        "舍弃 {n} 个位于边界之外的洞（绘制错误，不是土地）",
    ),
    (
        r"then repaired with make_valid\(method='structure'\)",
        "随后用 make_valid(method='structure') 修复",
    ),
    (r"area (?P<a>\S+) → (?P<b>\S+) \((?P<p>\S+)\)", "面积 {a} → {b}（{p}）"),
    (r"area (?P<a>\S+) → (?P<b>\S+)", "面积 {a} → {b}"),
    (r"a GeometryCollection without any polygon", "几何集合中没有多边形"),
    (r"polygon collapses to zero area \((?P<geos>.*)\)", "多边形修复后面积为零（{geos}）"),
    (r"polygon of zero area", "多边形面积为零"),
    (r"unreadable WKT: .*", "WKT 无法读取，请检查其格式"),
    (
        r"coordinates look swapped \(latitude given as x / northing as easting\); fix the "
        r"source or pass swap_xy=True",
        "坐标似乎颠倒（纬度写成了 x，或北坐标写成了东坐标）；请修正数据源，或传入 swap_xy=True",
    ),
    (
        r"a totals line \((?P<w>.+)\), not an asset: skipped",
        "合计行（{w}），不是资产，已跳过",
    ),
    (
        r"coordinates 0, 0 \(blank cells read as zero\?\): give the site's longitude and "
        r"latitude",
        "坐标为 0, 0（空单元格被读成了零？）：请填写场地的经纬度",
    ),
    (
        r"longitude/latitude out of range \(x (?P<x>.+?), y (?P<y>.+?)\): longitudes lie "
        r"within ±180°, latitudes within ±90°",
        "经纬度超出范围（x {x}，y {y}）：经度应在 ±180° 以内，纬度应在 ±90° 以内",
    ),
    (
        r"cannot be projected from (?P<a>\S+) to (?P<b>\S+) \(outside the CRS's area\?\)",
        "无法从 {a} 投影到 {b}（超出坐标系的范围？）",
    ),
    (
        r"coordinates lie outside the area of use of the store CRS (?P<crs>\S+)"
        r"(?: \(.*, (?P<bounds>\([^()]*\))\))?; lon/lat given for metres\? give the geometry "
        r"with its CRS \(a GeoSeries, or crs=\.\.\.\)",
        "坐标超出库坐标系 {crs} 的适用范围（经纬度范围 {bounds}）；是否把经纬度当成了米？"
        "请连同坐标系给出几何图形（GeoSeries，或 crs=...）",
    ),
    (
        r"degenerate polygon: (?P<a>\S+) m² on the ground \(a boundary encloses at least "
        r"(?P<m>\S+) m²\)",
        "退化多边形：地面面积 {a} ㎡（边界至少应围合 {m} ㎡）",
    ),
]

_COMPILED: Final = [(re.compile(p, re.DOTALL), t) for p, t in _RULES]


def _one(text: str) -> str | None:
    for pattern, template in _COMPILED:
        m = pattern.fullmatch(text)
        if m:
            groups = {
                k: _GROUPS.get(k, str)(v) if v is not None else "" for k, v in m.groupdict().items()
            }
            return template.format(**groups)
    return None


def reason_zh(text: str) -> str:
    """The Chinese wording of an import reason (the English text when no rule knows it).

    Reasons joined with ``"; "`` (a repair and its area change) are translated part by part
    when no rule knows the whole.
    """
    whole = _one(text)
    if whole is not None:
        return whole
    parts = text.split("; ")
    done = [_one(p) for p in parts]
    if len(parts) > 1 and all(d is not None for d in done):
        return "；".join(d for d in done if d is not None)
    logger.debug("no Chinese wording for import reason %r", text)
    return text


def field_zh(field: str) -> str:
    """A canonical field's Chinese name (the field itself when it has none)."""
    return FIELD_ZH.get(field, field)
