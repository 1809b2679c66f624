"""The words people read in a shortlist, in Chinese and English, in one place.

Every table maps a code (a criterion, a tenure mode, a status, an obstacle kind, a reference
layer) to its ``(zh, en)`` names, in the words zone staff use (取得方式, 可招商, 已下架, 低效用地,
防护距离, 硬性条件, 推荐理由, 供电容量).
"""

from __future__ import annotations

from typing import Final

from ..domain.landuse_paths import PATH_KINDS, UNKNOWN_PATH

_PATH_CODES: Final = (*PATH_KINDS, UNKNOWN_PATH)

#: Criterion names for tables and explanations: (zh, en).
CRITERION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "size": ("用地规模", "land size"),
    "building": ("现有建筑", "buildings"),
    "specs": ("建筑指标", "building specs"),
    "cost": ("成本", "cost"),
    "tenure": ("取得方式", "tenure"),
    "readiness": ("入驻时间", "move-in time"),
    "land_use": ("用地性质", "land use"),
    "synergy": ("产业协同", "industry synergy"),
    "conflicts": ("防护距离", "protection distances"),
    "access": ("交通区位", "accessibility"),
    "near": ("指定位置", "proximity"),
    "district": ("片区偏好", "district"),
    "freshness": ("信息时效", "data freshness"),
}
#: Why a criterion the brief asks for could not be evaluated on this inventory (zh, en).
MISSING_DATA: Final[dict[str, tuple[str, str]]] = {
    "conflicts": (
        "周边企业数据缺失，未核查防护距离",
        "no data on firms nearby; protection distances not checked",
    ),
    "synergy": (
        "周边企业数据缺失",
        "no data on firms nearby",
    ),
    "access": (
        "缺少道路、出入口等参照图层",
        "no reference layers (roads, exits…)",
    ),
    "near": ("缺少资产位置", "no asset locations"),
    "freshness": ("缺少更新时间", "no update times"),
    "school_siting_railway": (
        "参照图层中缺少铁路图层",
        "no railway layer among the reference layers",
    ),
    "school_siting_road": (
        "参照图层中缺少高速路、城市主干道图层",
        "no expressway or arterial-road layer among the reference layers",
    ),
}
#: Said beside every protection distance printed (zh, en).
INDICATIVE: Final[tuple[str, str]] = (
    "参考防护距离，以环评/安评为准",
    "indicative protection distance; the environmental/safety assessment decides",
)
#: Basis of a distance the brief itself asks to keep (``avoid_industries``).
AVOID_BASIS: Final[tuple[str, str]] = ("投资方要求", "the investor's own requirement")
#: Basis of a rule whose table gives none.
NO_BASIS: Final[tuple[str, str]] = ("未注明依据", "no basis given")
#: Checks inside a criterion that can go unevaluated on their own: key → (criterion, (zh, en)).
CHECK_NAMES: Final[dict[str, tuple[str, tuple[str, str]]]] = {
    "school_siting_railway": (
        "conflicts",
        (
            "校址与铁路间距（GB 50099-2011 第4.1.6条）",
            "school distance from railways (GB 50099-2011 §4.1.6)",
        ),
    ),
    "school_siting_road": (
        "conflicts",
        (
            "校址与高速路、城市主干道间距（GB 50099-2011 第4.1.6条）",
            "school distance from expressways and arterial roads (GB 50099-2011 §4.1.6)",
        ),
    ),
}
MISSING_DATA_DEFAULT: Final[tuple[str, str]] = (
    "库中无此项数据",
    "no data for it in the inventory",
)
_TENURE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "lease": ("租赁", "lease"),
    "transfer": ("出让/转让", "transfer"),
    "lease_then_transfer": ("先租后让", "lease then transfer"),
    "auction": ("法拍", "auction"),
}
_STATUS_NAMES: Final[dict[str, tuple[str, str]]] = {
    "idle": ("闲置", "idle"),
    "low_efficiency": ("低效用地", "low-efficiency land"),
    "available": ("可招商", "available"),
    "negotiating": ("洽谈中", "under negotiation"),
    "reserved": ("已预留", "reserved"),
    "leased": ("已出租", "leased"),
    "transferred": ("已转让", "transferred"),
    "in_use": ("在用", "in use"),
    "withdrawn": ("已下架", "withdrawn"),
}
_OBSTACLE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "planning_adjustment": ("规划调整", "planning adjustment"),
    "land_consolidation": ("用地整合", "land consolidation"),
    "relocation": ("搬迁", "relocation"),
    "title_dispute": ("权属纠纷", "title dispute"),
    "demolition": ("拆除", "demolition"),
    "environmental_remediation": ("污染治理", "environmental remediation"),
    "utility_upgrade": ("配套改造", "utility upgrade"),
    "other": ("其他", "other"),
}


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


_LAYER_NAMES: Final[dict[str, tuple[str, str]]] = {
    "highway_exit": ("高速出口", "highway exit"),
    "port": ("港口", "port"),
    "rail_station": ("火车站", "rail station"),
    "town_centre": ("镇中心", "town centre"),
    "railway": ("铁路", "railway"),
    "railway_line": ("铁路", "railway"),
    "rail_line": ("铁路", "railway"),
    "expressway": ("高速路", "expressway"),
    "arterial_road": ("城市主干道", "urban arterial road"),
    "urban_arterial_road": ("城市主干道", "urban arterial road"),
    "surface_rail_transit": ("地上轨道交通线", "surface rail transit line"),
}
