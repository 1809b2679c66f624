"""The words people read in a shortlist, in Chinese and English, in one place.

Every table maps a code (a criterion, a tenure mode, a status, an obstacle kind, a reference
layer) to its ``(zh, en)`` names.
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
    "tenure": ("供地方式", "tenure"),
    "readiness": ("入驻时间", "move-in time"),
    "land_use": ("用地性质", "land use"),
    "synergy": ("产业协同", "industry synergy"),
    "conflicts": ("邻避冲突", "conflicts"),
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
    "low_efficiency": ("低效", "low-efficiency"),
    "available": ("可供", "available"),
    "negotiating": ("洽谈中", "under negotiation"),
    "reserved": ("已预留", "reserved"),
    "leased": ("已出租", "leased"),
    "transferred": ("已转让", "transferred"),
    "in_use": ("在用", "in use"),
    "withdrawn": ("已撤回", "withdrawn"),
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
_LANGS: Final = ("zh", "en")


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise ValueError(f"The 'lang' parameter must be 'zh' or 'en'. Got {lang!r} instead.")
    return lang


_LAYER_NAMES: Final[dict[str, tuple[str, str]]] = {
    "highway_exit": ("高速出口", "highway exit"),
    "port": ("港口", "port"),
    "rail_station": ("火车站", "rail station"),
    "town_centre": ("镇中心", "town centre"),
}
