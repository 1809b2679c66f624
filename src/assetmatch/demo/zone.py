"""A seeded, synthetic but plausible industrial zone for demos, tests and benchmarks.

:func:`generate_zone` builds an inventory of idle and low-efficiency land and factories placed
where the Taiwanese Investment Zone of Quanzhou, Fujian lies (泉州台商投资区: three industrial
areas, 杏东, 张坂 and 惠南), with industry points (firms), reference layers (highway exits,
ports, rail stations, town centres), two years of edit history and a set of past deals.

Everything in it is invented by a seeded random generator except the three public cases,
which are placed with their published figures:

* ``TS-0001`` 泰丰闲置厂区 (the Taifeng idle campus): about 168 mu of land and about 60,000 m²
  of buildings, the site an education group's campus project landed on;
* ``TS-0002`` a court-auctioned (法拍) plant on 156 mu of low-efficiency land with about
  66,000 m² of idle buildings, taken by a new-materials maker under lease-then-transfer
  (先租后让);
* ``TS-0003`` 利澳纸业扩建用地, the expansion site next to a paper maker's plant (firm
  ``F-LIAO``), which needs a planning adjustment and land consolidation first.

Coordinates are CGCS2000 longitude/latitude (EPSG:4490). Sizes and distances are laid out in
metres in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549) and then transformed, so areas
measured in EPSG:4549 match the intended figures. Larger zones (``n_assets`` beyond a few
hundred) add further industrial areas on a lattice inland of the Fujian coast instead of
packing parcels tighter; parcels never overlap.

:func:`write_zone` and :func:`read_zone` store a zone as GeoJSON and CSV files
(``data/demo_zone/`` is written this way by ``scripts/make_demo.py``).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from assetmatch._errors import Problem, ValidationError
from assetmatch.schema import ASSET_COLUMNS, DERIVED_ASSET_COLUMNS

__all__ = [
    "DEMO_ASSET_COLUMNS",
    "PUBLIC_BRIEFS",
    "DemoZone",
    "generate_zone",
    "read_zone",
    "write_zone",
]

logger = logging.getLogger(__name__)

#: CRS of every geometry the demo returns: CGCS2000 longitude/latitude.
GEOGRAPHIC_CRS: Final = "EPSG:4490"
#: CRS the layout is computed in: CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres.
METRIC_CRS: Final = "EPSG:4549"
M2_PER_MU: Final = 2000.0 / 3.0

#: Asset columns the demo fills, in order (the canonical ones less the derived ones).
DEMO_ASSET_COLUMNS: Final = tuple(c for c in ASSET_COLUMNS if c not in DERIVED_ASSET_COLUMNS)
LAYER_NAMES: Final = ("highway_exit", "port", "rail_station", "town_centre")
PUBLIC_CASE_IDS: Final = ("TS-0001", "TS-0002", "TS-0003")
LIAO_FIRM_ID: Final = "F-LIAO"

#: The investors' briefs of the three public cases, as Requirements documents, under the
#: investors' published names (福建衡中教育科技集团, 福建兴迅新材料科技有限公司, 福建利澳纸业; the
#: source article of 2024-11-04, see docs/design.md). Hengzhong's is
#: the one of docs/design.md; Xingxun's and Liao Paper's restate their published needs (about 150 mu
#: with a large existing plant, lease-then-transfer acceptable; expanding next to its own plant).
PUBLIC_BRIEFS: Final[dict[str, dict[str, Any]]] = {
    "hengzhong": {
        "investor": "福建衡中教育科技集团（衡中教育）",
        "industry": "P83",
        "land_use": "0804",
        "land_area_mu": [150, 200],
        "building_area_m2": [50_000, None],
        "tenure": ["lease", "transfer"],
        "max_rent_yuan_m2_month": 18,
        "ready_within_days": 90,
        "near_industries": {"P83": 1.0},
        "avoid_industries": {"C26": 2_000},
        "priorities": {"size": 5, "readiness": 5, "cost": 3, "synergy": 2},
    },
    "xingxun": {
        "investor": "福建兴迅新材料科技有限公司",
        "industry": "C28",
        "land_use": "1001",
        "land_area_mu": [140, 170],
        "building_area_m2": [50_000, None],
        "tenure": ["lease_then_transfer", "transfer", "lease"],
        "priorities": {"size": 5, "building": 5},
    },
    "liao": {
        "investor": "福建利澳纸业",
        "industry": "C22",
        "land_use": "1001",
        "land_area_mu": [40, 80],
        "tenure": ["transfer"],
        "near": {"firm_id": LIAO_FIRM_ID, "within_m": 1_000},
    },
}

_SIGNED_STATUSES: Final = ("leased", "transferred", "in_use")
_DEAL_COLUMNS: Final = (
    "deal_id",
    "investor",
    "industry",
    "signed_at",
    "asset_id",
    "requirements",
    "outcome",
)
_EVENT_COLUMNS: Final = ("asset_id", "at", "field", "value", "author", "note")


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DemoZone:
    """A synthetic zone: assets, firms, reference layers, history and past deals.

    Attributes
    ----------
    assets
        The inventory as it stands at ``as_of``, EPSG:4490. Column ``asset_id`` and the
        canonical columns of :data:`assetmatch.schema.ASSET_COLUMNS` except the derived
        ``land_area_m2`` and ``has_boundary``. ``tenure`` holds lists of str, ``obstacles``
        lists of ``{"kind", "description", "delay_days"}`` dicts, dates are
        :class:`datetime.date` or ``None``. About 5 % of geometries are Points (assets known
        only by location, with a declared area).
    firms
        Industry points, EPSG:4490: ``firm_id``, ``name``, ``industry`` (GB/T 4754-2017
        division such as ``"C19"``, some finer such as ``"C1952"``), ``employees``.
    layers
        Reference layers by name (``"highway_exit"``, ``"port"``, ``"rail_station"``,
        ``"town_centre"``): points with a ``name``, EPSG:4490.
    events
        Edit history before ``as_of``, ordered by ``at``: ``asset_id``, ``at`` (date),
        ``field`` (a canonical column name or ``"geometry"``), ``value`` (the new value, a
        Python object; a shapely geometry in EPSG:4490 for ``"geometry"``), ``author``,
        ``note`` (Chinese).
    initial
        The assets as they stood at the start of the history. Setting each event's value,
        in order, on ``initial`` gives ``assets`` exactly.
    deals
        Past deals: ``deal_id``, ``investor``, ``industry``, ``signed_at`` (date),
        ``asset_id`` (an asset whose status at ``as_of`` is leased, transferred or in use),
        ``requirements`` (a dict shaped like :class:`assetmatch.Requirements`),
        ``outcome`` (``"signed"``).
    as_of
        The zone's "today".
    seed
        Seed of the generator that made it.
    synthetic
        Always ``True`` for a generated zone.
    source_note
        Where the data comes from, in plain words.
    """

    assets: gpd.GeoDataFrame
    firms: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    events: pd.DataFrame
    initial: gpd.GeoDataFrame
    deals: pd.DataFrame
    as_of: date
    seed: int
    synthetic: bool = field(default=True, kw_only=True)
    source_note: str

    def __repr__(self) -> str:
        layers = ", ".join(f"{k}={len(v)}" for k, v in self.layers.items())
        return (
            f"DemoZone(seed={self.seed}, as_of={self.as_of.isoformat()}, "
            f"assets={len(self.assets)}, firms={len(self.firms)}, layers=({layers}), "
            f"events={len(self.events)}, deals={len(self.deals)}, synthetic={self.synthetic})"
        )


def _source_note(seed: int, include_public_cases: bool) -> str:
    note = (
        "Synthetic data: generated by assetmatch.demo.generate_zone with seed "
        f"{seed}. Every site, firm, name, owner, contact, price, date and position is "
        "invented; contacts use the unassigned 138-0000-xxxx pattern; positions only "
        "imitate the layout of the Quanzhou Taiwanese Investment Zone (泉州台商投资区). "
    )
    if include_public_cases:
        note += (
            "The three public cases are placed using their published figures: TS-0001 "
            "Taifeng idle campus (~168 mu land, ~60,000 m² buildings); TS-0002 court-auctioned "
            "plant on 156 mu of low-efficiency land (~66,000 m² buildings, lease-then-transfer "
            "and auction); TS-0003 Liao Paper expansion site (planning adjustment and land "
            "consolidation needed), next to firm F-LIAO. Their owners, prices and dates are "
            "synthetic too. 本数据为合成数据，三宗公开案例按公开报道的面积、取得方式与障碍设置。"
        )
    else:
        note += "本数据为合成数据。"
    return note


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    """One industrial area: a name, a centre (lon/lat, EPSG:4490) and a street orientation."""

    district: str
    lon: float
    lat: float
    rotation_deg: float


# Centres chosen inland, in the 东园-张坂 belt between 泉州东站 and 惠安 county town.
_BASE_AREAS: Final = (
    _Area("杏东", 118.748, 24.948, 12.0),
    _Area("张坂", 118.792, 24.978, -8.0),
    _Area("惠南", 118.812, 25.008, 20.0),
)
#: Generic parcels per base area before further areas are added.
_BASE_CAPACITY: Final = 150
#: Generic parcels per further area.
_EXTENSION_CAPACITY: Final = 400
#: Lattice of further areas: inland Fujian north-west of the zone, well away from the coast.
_EXTENSION_LAT0: Final = 25.30
_EXTENSION_LON0: Final = 118.90
_EXTENSION_STEP_DEG: Final = 0.08
_EXTENSION_ROWS: Final = 14
_EXTENSION_COUNTIES: Final = ("仙游", "德化", "永春", "永泰", "尤溪", "大田", "安溪", "闽清")

# Reference layers of the base zone (names say 示意: the positions are illustrative).
_BASE_LAYERS: Final[dict[str, tuple[tuple[str, float, float], ...]]] = {
    "highway_exit": (
        ("沈海高速惠安互通（示意）", 118.776, 25.036),
        ("沈海高速复线台商区互通（示意）", 118.724, 24.966),
        ("泉州湾高速张坂互通（示意）", 118.808, 24.962),
    ),
    "port": (
        ("秀涂港区（示意）", 118.766, 24.878),
        ("崇武港区（示意）", 118.912, 24.886),
    ),
    "rail_station": (
        ("泉州东站（示意）", 118.782, 24.951),
        ("惠安站（示意）", 118.790, 25.046),
    ),
    "town_centre": (
        ("洛阳镇", 118.686, 24.962),
        ("东园镇", 118.735, 24.936),
        ("张坂镇", 118.800, 24.962),
        ("百崎回族乡", 118.722, 24.906),
        ("惠安县城", 118.797, 25.030),
    ),
}

# Industry clusters of the base zone: (industry, lon, lat, sigma_m, weight). Heavy-tailed.
_BASE_CLUSTERS: Final = (
    ("C19", 118.752, 24.955, 900.0, 0.10),
    ("C19", 118.787, 24.982, 800.0, 0.09),
    ("C19", 118.690, 24.965, 700.0, 0.05),
    ("C18", 118.795, 24.972, 700.0, 0.06),
    ("C18", 118.742, 24.944, 600.0, 0.04),
    ("C17", 118.806, 25.004, 600.0, 0.05),
    ("C29", 118.783, 24.986, 600.0, 0.05),
    ("C29", 118.758, 24.958, 500.0, 0.03),
    ("C30", 118.818, 25.012, 900.0, 0.06),
    ("C30", 118.810, 25.024, 600.0, 0.04),
    ("C39", 118.744, 24.952, 500.0, 0.07),
    ("C28", 118.814, 25.000, 500.0, 0.02),
    ("C34", 118.804, 25.015, 600.0, 0.04),
    ("C38", 118.738, 24.958, 500.0, 0.04),
    ("C13", 118.700, 24.960, 600.0, 0.03),
    ("C14", 118.730, 24.942, 500.0, 0.04),
    ("M73", 118.744, 24.946, 400.0, 0.01),
)
_BASE_WEIGHTS: Final = {  # clusters placed relative to layers or to the layout
    "paper": 0.04,  # C22 around F-LIAO
    "chemicals": 0.02,  # C26, two tight sites
    "logistics": 0.07,  # G59/G54 around highway exits and ports
    "education": 0.015,  # P83 around town centres
    "research": 0.01,  # M73 around town centres
}
_FINE_CODES: Final = {
    "C19": ("C1952", "C1951", "C1953", "C1921"),
    "C18": ("C1811", "C1819"),
    "C17": ("C1711",),
    "C22": ("C2221", "C2231"),
    "C26": ("C2641",),
    "C29": ("C2921", "C2927"),
    "C30": ("C3032",),
    "C39": ("C3981",),
}
_EXTENSION_INDUSTRIES: Final = {
    "C19": 0.16,
    "C18": 0.09,
    "C17": 0.06,
    "C29": 0.08,
    "C30": 0.09,
    "C39": 0.09,
    "C22": 0.04,
    "C26": 0.02,
    "C28": 0.03,
    "C34": 0.07,
    "C38": 0.06,
    "C13": 0.04,
    "C14": 0.04,
    "G54": 0.04,
    "G59": 0.05,
    "M73": 0.02,
    "P83": 0.02,
}

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

_TRADE_CHARS: Final = np.array(
    list("鸿达盛兴泰源华隆信恒通顺宏昌利金瑞祥永新佳美安福鑫汇荣辉德嘉晟宇振腾联创益凯豪协骏")
)
_INDUSTRY_WORD: Final = {
    "C13": "农产品",
    "C14": "食品",
    "C17": "纺织",
    "C18": "服饰",
    "C19": "鞋业",
    "C22": "纸业",
    "C26": "化工",
    "C28": "新材料",
    "C29": "塑胶",
    "C30": "石材",
    "C34": "机械",
    "C38": "电器",
    "C39": "电子",
    "G54": "运输",
    "G59": "物流",
    "M73": "科技",
    "P83": "教育",
}
_MANUFACTURING: Final = ("C19", "C18", "C17", "C29", "C30", "C39", "C22", "C28", "C34", "C38")
_DISTRICT_INDUSTRIES: Final = {
    "杏东": {"C19": 0.35, "C18": 0.2, "C39": 0.2, "C38": 0.1, "C29": 0.1, "C14": 0.05},
    "张坂": {"C19": 0.3, "C29": 0.2, "C18": 0.15, "C22": 0.15, "C17": 0.1, "C34": 0.1},
    "惠南": {"C30": 0.35, "C17": 0.2, "C34": 0.15, "C28": 0.15, "C19": 0.1, "C38": 0.05},
}
_STATUS_ZH: Final = {
    "idle": "闲置",
    "low_efficiency": "低效用地",
    "available": "可招商",
    "negotiating": "洽谈中",
    "reserved": "已预留",
    "leased": "已出租",
    "transferred": "已出让",
    "in_use": "使用中",
    "withdrawn": "已退出",
}
_STATUS_SHARE: Final = {
    "idle": 0.22,
    "low_efficiency": 0.18,
    "available": 0.16,
    "negotiating": 0.08,
    "reserved": 0.05,
    "leased": 0.11,
    "transferred": 0.07,
    "in_use": 0.09,
    "withdrawn": 0.04,
}
# Status histories by final status: (earlier statuses, oldest first; probability).
_STATUS_PATHS: Final[dict[str, tuple[tuple[tuple[str, ...], float], ...]]] = {
    "idle": (((), 0.45), (("in_use",), 0.30), (("low_efficiency",), 0.25)),
    "low_efficiency": (((), 0.6), (("in_use",), 0.4)),
    "available": (
        (("idle",), 0.5),
        (("low_efficiency",), 0.3),
        (("idle", "negotiating"), 0.2),
    ),
    "negotiating": ((("idle", "available"), 0.6), (("low_efficiency",), 0.4)),
    "reserved": ((("idle", "available", "negotiating"), 0.7), (("available",), 0.3)),
    "leased": (
        (("idle", "available", "negotiating"), 0.6),
        (("low_efficiency", "available", "negotiating"), 0.35),
        ((), 0.05),
    ),
    "transferred": (
        (("idle", "available", "negotiating"), 0.5),
        (("low_efficiency", "negotiating"), 0.35),
        (("idle", "negotiating", "reserved"), 0.1),
        ((), 0.05),
    ),
    "in_use": (
        ((), 0.4),
        (("idle", "available", "negotiating"), 0.4),
        (("low_efficiency", "negotiating"), 0.2),
    ),
    "withdrawn": ((("idle",), 0.5), (("available",), 0.3), ((), 0.2)),
}
_TENURE_OPTIONS: Final[dict[str, tuple[tuple[tuple[str, ...], float], ...]]] = {
    "land": (
        (("transfer",), 0.55),
        (("transfer", "lease_then_transfer"), 0.3),
        (("lease_then_transfer",), 0.1),
        (("auction",), 0.05),
    ),
    "factory": (
        (("lease",), 0.45),
        (("lease", "transfer"), 0.25),
        (("lease_then_transfer",), 0.15),
        (("lease", "lease_then_transfer"), 0.1),
        (("auction",), 0.05),
    ),
    "campus": (
        (("lease", "transfer"), 0.4),
        (("lease",), 0.2),
        (("transfer",), 0.15),
        (("lease_then_transfer",), 0.15),
        (("auction",), 0.1),
    ),
}
# Land-use codes with their scheme: (code, scheme, share).
_LAND_USES: Final = (
    ("1001", "2020", 0.76),
    ("1101", "2020", 0.09),
    ("0802", "2020", 0.04),
    ("0804", "2020", 0.03),
    ("0901", "2020", 0.03),
    ("0601", "gbt21010-2017", 0.02),
    ("0604", "gbt21010-2017", 0.005),
    ("0601", "tdsurvey3", 0.01),
    ("0508", "tdsurvey3", 0.015),
)
_LAND_USE_INDUSTRY: Final = {
    "1101": "G59",
    "0802": "M73",
    "0804": "P83",
    "0508": "G59",
    "0604": "G59",
}
_OBSTACLES: Final[dict[str, tuple[float, int, int, tuple[str, ...]]]] = {
    # kind: (share, min delay days, max delay days, descriptions)
    "planning_adjustment": (
        0.16,
        120,
        360,
        (
            "控制性详细规划调整（用地性质变更）",
            "规划道路改线，需调整地块边界",
            "容积率指标调整报批",
        ),
    ),
    "land_consolidation": (
        0.14,
        90,
        240,
        ("与相邻零星地块整合", "边角地收储整合", "多宗低效用地归并"),
    ),
    "relocation": (0.12, 90, 365, ("原承租企业搬迁安置", "地上附着物搬迁补偿", "临时仓储搬离")),
    "title_dispute": (
        0.1,
        180,
        720,
        ("产权人债务纠纷，房产被查封", "土地使用权权属争议", "租赁合同纠纷未了结"),
    ),
    "demolition": (0.12, 30, 120, ("旧厂房拆除", "违章搭盖拆除", "危房鉴定及拆除")),
    "environmental_remediation": (
        0.08,
        90,
        540,
        ("原化工企业场地土壤污染调查与修复", "地下水污染治理", "固废清运及场地修复"),
    ),
    "utility_upgrade": (0.2, 30, 120, ("变配电增容改造", "污水管网接驳", "消防设施改造升级")),
    "other": (0.08, 30, 180, ("历史遗留手续补办", "环评手续变更", "司法拍卖过户手续")),
}
_BLOCKS_NET_LAND: Final = frozenset(
    {"land_consolidation", "relocation", "demolition", "title_dispute", "environmental_remediation"}
)
_TRANSFORMER_SIZES_KVA: Final = np.array(
    [200, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000]
)
_AUTHORS: Final = np.array(
    ["林某（招商局）", "陈某（自然资源分局）", "黄某（经发局）", "王某（张坂镇）", "盘点系统"]
)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


@cache
def _to_metric() -> Transformer:
    return Transformer.from_crs(GEOGRAPHIC_CRS, METRIC_CRS, always_xy=True)


@cache
def _to_geographic() -> Transformer:
    return Transformer.from_crs(METRIC_CRS, GEOGRAPHIC_CRS, always_xy=True)


def _metric_to_lonlat(coords: np.ndarray) -> np.ndarray:
    lon, lat = _to_geographic().transform(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _obj(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """A 1-D object array holding ``values`` as they are (lists stay lists)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def _dates(day0: np.datetime64, days: np.ndarray) -> np.ndarray:
    """Object array of :class:`datetime.date` for integer day offsets from ``day0``."""
    return (day0 + np.asarray(days, dtype=np.int64)).astype("datetime64[D]").astype(object)


def _choose(
    rng: np.random.Generator, options: Sequence[Any], p: Sequence[float], size: int
) -> np.ndarray:
    """Indices into ``options`` drawn with probabilities ``p`` (normalised)."""
    prob = np.asarray(p, dtype=float)
    return rng.choice(len(options), size=size, p=prob / prob.sum())


def _quota(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    """``n`` labels in shuffled order whose counts follow ``shares`` (each label at least once)."""
    labels = list(shares)
    p = np.array([shares[k] for k in labels])
    p = p / p.sum()
    counts = np.floor(p * n).astype(int)
    if n >= len(labels):
        counts = np.maximum(counts, 1)
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    rest = n - counts.sum()
    if rest > 0:
        counts += np.bincount(rng.choice(len(labels), size=rest, p=p), minlength=len(labels))
    out = np.repeat(np.array(labels), counts)
    return out[rng.permutation(n)]


def _trade_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two-character synthetic trade names such as 鸿达."""
    k = len(_TRADE_CHARS)
    i = rng.integers(0, k, n)
    j = (i + 1 + rng.integers(0, k - 1, n)) % k
    return np.char.add(_TRADE_CHARS[i], _TRADE_CHARS[j])


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars."""
    out = np.asarray(parts[0], dtype=str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p, dtype=str))
    return out


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-pad numeric strings to ``width``, also in an empty array (numpy's zfill fails there)."""
    values = np.asarray(values, dtype=str)
    if values.size == 0:
        return values.astype(f"<U{width}")
    return np.char.zfill(values, width)


def _increasing_days(
    rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, m: int
) -> np.ndarray:
    """Strictly increasing integer days per row, ``lo < day <= hi`` where room allows.

    Returns an array of shape ``(len(lo), m)``.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    span = np.maximum(hi - lo - m, 1)
    u = np.sort(rng.random((len(lo), m)), axis=1)
    d = lo[:, None] + 1 + np.floor(u * span[:, None]).astype(np.int64)
    j = np.arange(m)
    return j + np.maximum.accumulate(d - j, axis=1)


# --------------------------------------------------------------------------------------------
# Layout: non-overlapping parcels
# --------------------------------------------------------------------------------------------

# Pinned parcels of the base zone: (area index, key, land area in mu, width/depth ratio).
# They open the first row of their area, in this order; "liao_plant" is Liao Paper's own
# plant (not in the inventory: it only places firm F-LIAO), so TS-0003 lies right next to it.
_PINNED: Final = (
    (0, "TS-0001", 168.0, 1.40),
    (0, "decoy_small_buildings", 182.0, 1.20),
    (0, "decoy_education_land", 150.0, 1.10),
    (0, "decoy_too_small", 128.0, 1.30),
    (1, "liao_plant", 85.0, 1.30),
    (1, "TS-0003", 62.0, 1.00),
    (1, "decoy_title_dispute", 175.0, 1.25),
    (2, "TS-0002", 156.0, 1.35),
    (2, "decoy_near_chemicals", 210.0, 1.30),
    (2, "decoy_negotiating", 160.0, 1.20),
)


@dataclass
class _Layout:
    """Parcels in layout order (pinned first per area), in EPSG:4549 metres."""

    area: np.ndarray  # int, index into areas
    key: np.ndarray  # str: pinned key or "" for generic
    geometry: np.ndarray  # shapely geometries, metric
    target_m2: np.ndarray  # intended land area
    shape: np.ndarray  # str: rect / quad / L / multi / point
    centre: np.ndarray  # (n, 2) metric centroid of the slot
    areas: list[_Area]
    area_centre: np.ndarray  # (n_areas, 2) metric
    area_frames: list[
        tuple[float, float, float, float, float, float]
    ]  # cx, cy, cos, sin, half x, y


def _plan_areas(n_generic: int) -> tuple[list[_Area], np.ndarray]:
    """Areas and how many generic parcels each gets."""
    if n_generic <= 3 * _BASE_CAPACITY:
        counts = np.full(3, n_generic // 3)
        counts[: n_generic % 3] += 1
        return list(_BASE_AREAS), counts
    rest = n_generic - 3 * _BASE_CAPACITY
    n_ext = math.ceil(rest / _EXTENSION_CAPACITY)
    areas = list(_BASE_AREAS)
    for k in range(n_ext):
        col, row = divmod(k, _EXTENSION_ROWS)
        county = _EXTENSION_COUNTIES[(k * 3 + col) % len(_EXTENSION_COUNTIES)]
        areas.append(
            _Area(
                f"{county}{k + 1}号片区",
                _EXTENSION_LON0 - col * _EXTENSION_STEP_DEG,
                _EXTENSION_LAT0 + row * _EXTENSION_STEP_DEG,
                float((k * 37) % 50 - 25),
            )
        )
    counts = np.full(3 + n_ext, _EXTENSION_CAPACITY)
    counts[:3] = _BASE_CAPACITY
    counts[-1] = rest - (n_ext - 1) * _EXTENSION_CAPACITY
    return areas, counts


def _pack_rows(
    rng: np.random.Generator, area_m2: np.ndarray, aspect: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pack parcels into rows along streets; returns x0, y0, width, depth (metres, centred)."""
    depth = np.sqrt(area_m2 / aspect)
    width = area_m2 / depth
    gap = rng.uniform(12.0, 30.0, len(area_m2))
    step = width + gap
    row_len = math.sqrt(float(np.sum(step * depth)) * 1.35)
    start = np.cumsum(step) - step
    row = np.floor(start / row_len).astype(np.int64)
    first = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    row = np.searchsorted(first, np.arange(len(row)), side="right") - 1  # compact row numbers
    x0 = start - start[first][row]
    row_depth = np.maximum.reduceat(depth, first)
    road = np.where(np.arange(len(first)) % 4 == 3, 36.0, rng.uniform(16.0, 24.0, len(first)))
    row_y = np.cumsum(row_depth + road) - (row_depth + road)
    y0 = row_y[row] + rng.uniform(0.0, 0.3, len(area_m2)) * (row_depth[row] - depth)
    x_mid = (x0.min() + (x0 + width).max()) / 2.0
    y_mid = (y0.min() + (y0 + depth).max()) / 2.0
    return x0 - x_mid, y0 - y_mid, width, depth


def _layout(rng: np.random.Generator, n_generic: int, include_public_cases: bool) -> _Layout:
    areas, counts = _plan_areas(n_generic)
    cx, cy = _to_metric().transform(
        np.array([a.lon for a in areas]), np.array([a.lat for a in areas])
    )
    area_idx, keys, x0s, y0s, ws, ds, perturb = [], [], [], [], [], [], []
    frames = []
    for k, (area, count) in enumerate(zip(areas, counts, strict=True)):
        pinned = [p for p in _PINNED if p[0] == k] if include_public_cases else []
        a_mu = np.exp(rng.normal(math.log(28.0), 0.75, count)).clip(5.0, 250.0)
        # noisy size order: bigger parcels tend to open the rows, sizes still mix
        order = np.argsort(-(np.log(a_mu) + rng.normal(0.0, 0.8, count)))
        a_m2 = np.r_[[p[2] for p in pinned], a_mu[order]] * M2_PER_MU
        aspect = np.r_[[p[3] for p in pinned], rng.uniform(0.55, 1.8, count)]
        x0, y0, w, d = _pack_rows(rng, a_m2, aspect)
        area_idx.append(np.full(len(a_m2), k))
        keys.append(np.array([p[1] for p in pinned] + [""] * count, dtype=object))
        x0s.append(x0)
        y0s.append(y0)
        ws.append(w)
        ds.append(d)
        perturb.append(np.r_[np.zeros(len(pinned), bool), rng.random(count) < 0.6])
        theta = math.radians(area.rotation_deg)
        half_x = float(np.abs(np.r_[x0, x0 + w]).max())
        half_y = float(np.abs(np.r_[y0, y0 + d]).max())
        frames.append(
            (float(cx[k]), float(cy[k]), math.cos(theta), math.sin(theta), half_x, half_y)
        )
    area_of = np.concatenate(area_idx)
    key = np.concatenate(keys).astype(str)
    x0 = np.concatenate(x0s)
    y0 = np.concatenate(y0s)
    w = np.concatenate(ws)
    d = np.concatenate(ds)
    do_perturb = np.concatenate(perturb)
    n = len(area_of)
    _check_areas_apart(frames, areas)

    # shapes: mostly rectangles and inward-perturbed quadrilaterals, a few L and two-block
    generic = np.flatnonzero(key == "")
    n_special = max(3, len(generic) // 100)
    special = rng.choice(generic, size=min(len(generic), 2 * n_special), replace=False)
    is_l = np.zeros(n, bool)
    is_multi = np.zeros(n, bool)
    is_point = np.zeros(n, bool)
    is_l[special[:n_special]] = True
    is_multi[special[n_special : 2 * n_special]] = True
    rest = np.setdiff1d(generic, special[: 2 * n_special])
    is_point[rng.choice(rest, size=round(0.05 * len(generic)), replace=False)] = True

    x1, y1 = x0 + w, y0 + d
    f = rng.uniform(0.0, 0.06, (n, 8)) * do_perturb[:, None]
    quad = np.stack(
        [
            np.column_stack([x0 + f[:, 0] * w, y0 + f[:, 1] * d]),
            np.column_stack([x1 - f[:, 2] * w, y0 + f[:, 3] * d]),
            np.column_stack([x1 - f[:, 4] * w, y1 - f[:, 5] * d]),
            np.column_stack([x0 + f[:, 6] * w, y1 - f[:, 7] * d]),
        ],
        axis=1,
    )
    quad = np.concatenate([quad, quad[:, :1]], axis=1)  # (n, 5, 2), closed

    # L-shapes: a notch of 30-50 % by 30-50 % cut from the far corner
    a = rng.uniform(0.3, 0.5, n)
    b = rng.uniform(0.3, 0.5, n)
    xn, yn = x1 - a * w, y1 - b * d
    ell = np.stack(
        [
            np.column_stack(p)
            for p in (
                (x0, y0),
                (x1, y0),
                (x1, yn),
                (xn, yn),
                (xn, y1),
                (x0, y1),
                (x0, y0),
            )
        ],
        axis=1,
    )
    # two blocks split by a 14 m lane
    cut = x0 + rng.uniform(0.35, 0.65, n) * w
    left = np.stack(
        [np.column_stack(p) for p in ((x0, y0), (cut - 7, y0), (cut - 7, y1), (x0, y1), (x0, y0))],
        axis=1,
    )
    right = np.stack(
        [
            np.column_stack(p)
            for p in ((cut + 7, y0), (x1, y0), (x1, y1), (cut + 7, y1), (cut + 7, y0))
        ],
        axis=1,
    )

    def place(local: np.ndarray) -> np.ndarray:
        """Rotate each parcel's local coordinates by its area's angle and move to the centre."""
        fr = np.array([frames[i][:4] for i in range(len(frames))])[area_of]
        gx = fr[:, 0, None] + local[..., 0] * fr[:, 2, None] - local[..., 1] * fr[:, 3, None]
        gy = fr[:, 1, None] + local[..., 0] * fr[:, 3, None] + local[..., 1] * fr[:, 2, None]
        return np.stack([gx, gy], axis=-1)

    geoms = np.empty(n, dtype=object)
    simple = ~(is_l | is_multi)
    geoms[simple] = shapely.polygons(place(quad)[simple])
    if is_l.any():
        geoms[is_l] = shapely.polygons(place(ell)[is_l])
    if is_multi.any():
        idx = np.flatnonzero(is_multi)
        pairs = np.stack([place(left)[idx], place(right)[idx]], axis=1).reshape(-1, 5, 2)
        parts = shapely.polygons(pairs)
        geoms[idx] = shapely.multipolygons(parts, indices=np.repeat(np.arange(len(idx)), 2))
    centre = place(np.stack([x0 + w / 2, y0 + d / 2], axis=-1)[:, None, :])[:, 0, :]
    if is_point.any():
        geoms[is_point] = shapely.points(centre[is_point])
    shape = np.where(is_point, "point", np.where(is_l, "L", np.where(is_multi, "multi", "quad")))
    shape = np.where(~do_perturb & (shape == "quad"), "rect", shape)
    return _Layout(
        area=area_of,
        key=key,
        geometry=geoms,
        target_m2=w * d,
        shape=shape,
        centre=centre,
        areas=areas,
        area_centre=np.column_stack([cx, cy]),
        area_frames=frames,
    )


def _check_areas_apart(frames: list[tuple[float, ...]], areas: list[_Area]) -> None:
    """Raise if the rotated bounding rectangles of two industrial areas intersect."""
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float)
    rects = []
    for f in frames:
        local = corners * np.array([f[4], f[5]])
        rects.append([_local_to_metric(f, x, y) for x, y in local])
    boxes = shapely.polygons(np.array(rects))
    pairs = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]
    if pairs.shape[1]:
        i, j = pairs[:, 0]
        raise RuntimeError(
            f"Industrial areas {areas[i].district!r} and {areas[j].district!r} would overlap; "
            "the demo layout constants need wider spacing."
        )


# --------------------------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------------------------


def _obstacles_for(rng: np.random.Generator, n: int) -> list[list[dict[str, Any]]]:
    """``n`` lists of one or two obstacles each."""
    kinds = list(_OBSTACLES)
    share = [_OBSTACLES[k][0] for k in kinds]
    count = np.where(rng.random(n) < 0.75, 1, 2)
    out: list[list[dict[str, Any]]] = []
    first = _choose(rng, kinds, share, n)
    second = _choose(rng, kinds, share, n)
    u = rng.random((n, 2))
    pick = rng.integers(0, 3, (n, 2))
    for i in range(n):
        ks = [first[i]] if count[i] == 1 or second[i] == first[i] else [first[i], second[i]]
        lst = []
        for j, ki in enumerate(ks):
            kind = kinds[ki]
            _, lo, hi, desc = _OBSTACLES[kind]
            delay = int(round((lo + u[i, j] * (hi - lo)) / 10.0) * 10)
            lst.append(
                {"kind": kind, "description": desc[pick[i, j] % len(desc)], "delay_days": delay}
            )
        out.append(lst)
    return out


def _attributes(rng: np.random.Generator, lay: _Layout, as_of: date, start: date) -> dict[str, Any]:
    """Final-state attributes of the parcels (generic draws; pinned ones are fixed later).

    String columns are object arrays so that later edits are never truncated.
    """
    n = len(lay.key)
    is_point = lay.shape == "point"
    area_m2 = np.where(is_point, lay.target_m2, shapely.area(lay.geometry))
    area_mu = area_m2 / M2_PER_MU
    district = np.array([a.district for a in lay.areas])[lay.area]

    # kind: campuses are the big ones
    p_campus = 0.05 + 0.6 / (1.0 + np.exp(-(np.log(area_mu) - math.log(60.0)) / 0.45))
    u = rng.random(n)
    kind = np.where(
        u < p_campus, "campus", np.where(u < p_campus + 0.35 * (1 - p_campus), "land", "factory")
    )
    status = _quota(rng, _STATUS_SHARE, n)

    lu_idx = _choose(rng, _LAND_USES, [x[2] for x in _LAND_USES], n)
    land_use = np.array([x[0] for x in _LAND_USES])[lu_idx]
    scheme = np.array([x[1] for x in _LAND_USES])[lu_idx]

    industry = np.empty(n, dtype=object)
    for name in np.unique(district):
        m = district == name
        mix = _DISTRICT_INDUSTRIES.get(name, _EXTENSION_INDUSTRIES)
        codes = list(mix)
        industry[m] = np.array(codes)[_choose(rng, codes, [mix[c] for c in codes], int(m.sum()))]
    for code, ind in _LAND_USE_INDUSTRY.items():
        industry[land_use == code] = ind
    industry = industry.astype(str)

    has_building = kind != "land"
    plot_ratio = np.where(kind == "factory", rng.uniform(0.8, 1.8, n), rng.uniform(0.6, 1.4, n))
    building = np.where(has_building, np.round(area_m2 * plot_ratio, -1), 0.0)
    coverage = rng.uniform(0.35, 0.6, n)
    floors = np.clip(np.round(plot_ratio / coverage), 1, 6).astype(int)
    floors_arr = pd.array(np.where(has_building, floors, 0), dtype="Int64")
    floors_arr[~has_building] = pd.NA
    single = floors == 1
    floor_height = np.where(
        single,
        np.round(rng.uniform(8.0, 12.0, n) * 2) / 2,
        np.round(rng.uniform(4.5, 6.5, n) * 2) / 2,
    )
    floor_load = np.where(
        single,
        rng.choice([10.0, 15.0, 20.0, 25.0, 30.0], n),
        rng.choice([5.0, 6.5, 8.0, 10.0, 12.0], n),
    )
    kva = building * rng.uniform(0.05, 0.12, n)
    power = _TRANSFORMER_SIZES_KVA[
        np.clip(np.searchsorted(_TRANSFORMER_SIZES_KVA, kva), 0, len(_TRANSFORMER_SIZES_KVA) - 1)
    ].astype(float)
    floor_height = np.where(has_building, floor_height, np.nan)
    floor_load = np.where(has_building, floor_load, np.nan)
    power = np.where(has_building, power, np.nan)

    rent_base = np.where(kind == "factory", rng.normal(14.0, 3.0, n), rng.normal(12.0, 2.5, n))
    rent_base -= np.where(status == "idle", 1.5, np.where(status == "low_efficiency", 1.0, 0.0))
    rent = np.where(has_building, np.round(np.clip(rent_base, 8.0, 25.0) * 2) / 2, np.nan)

    tenure_idx = np.empty(n, dtype=int)
    tenure_opts: dict[str, tuple[tuple[str, ...], ...]] = {}
    for k in ("land", "factory", "campus"):
        m = kind == k
        opts = _TENURE_OPTIONS[k]
        tenure_opts[k] = tuple(o[0] for o in opts)
        tenure_idx[m] = _choose(rng, opts, [o[1] for o in opts], int(m.sum()))
    tenure = [list(tenure_opts[k][i]) for k, i in zip(kind, tenure_idx, strict=True)]
    sells = np.array([t != ["lease"] for t in tenure])
    price = np.round(np.clip(rng.normal(380_000, 80_000, n), 200_000, 600_000), -3)
    price = np.where(sells | (rng.random(n) < 0.2), price, np.nan)

    offerable = np.isin(status, ("idle", "low_efficiency", "available", "negotiating"))
    signed = np.isin(status, _SIGNED_STATUSES)
    p_obst = np.where(offerable, 0.4, np.where(signed, 0.0, 0.3))
    has_obst = rng.random(n) < p_obst
    obstacles: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    idx = np.flatnonzero(has_obst)
    for i, lst in zip(idx, _obstacles_for(rng, len(idx)), strict=True):
        obstacles[i] = lst
    max_delay = np.array([max((o["delay_days"] for o in lst), default=0) for lst in obstacles])
    blocks = np.array([any(o["kind"] in _BLOCKS_NET_LAND for o in lst) for lst in obstacles])
    net_land = ~blocks & (rng.random(n) < np.where(kind == "land", 0.8, 0.5))

    day0 = np.datetime64(as_of, "D")
    ready_off = np.where(
        has_obst,
        max_delay + rng.integers(0, 46, n),
        np.where(status == "reserved", rng.integers(0, 181, n), rng.integers(-120, 91, n)),
    )
    ready = _dates(day0, ready_off)
    ready[status == "withdrawn"] = None
    s0 = np.datetime64(start, "D")
    idle_since = _dates(s0, -rng.integers(30, 2500, n))
    idle_since[signed] = None

    active = np.isin(status, _SIGNED_STATUSES)
    tax = np.select(
        [active, status == "low_efficiency", status == "idle"],
        [rng.uniform(150_000, 600_000, n), rng.uniform(5_000, 60_000, n), rng.uniform(0, 5_000, n)],
        rng.uniform(0, 30_000, n),
    )
    output = np.select(
        [active, status == "low_efficiency", status == "idle"],
        [rng.uniform(2e6, 8e6, n), rng.uniform(2e5, 1.2e6, n), rng.uniform(0, 1e5, n)],
        rng.uniform(0, 6e5, n),
    )
    no_activity = (kind == "land") & (status != "low_efficiency")
    tax = np.where(no_activity, np.nan, np.round(tax, -2))
    output = np.where(no_activity, np.nan, np.round(output, -3))

    trade = _trade_names(rng, n)
    word = np.array([_INDUSTRY_WORD[c] for c in industry])
    suffix = np.select(
        [
            (kind == "land") & (status == "idle"),
            (kind == "land") & (status == "low_efficiency"),
            kind == "land",
            (kind == "factory") & (status == "idle"),
            (kind == "factory") & (status == "low_efficiency"),
            kind == "factory",
            status == "idle",
            status == "low_efficiency",
        ],
        [
            "闲置地块",
            "低效用地",
            "地块",
            "闲置厂房",
            "低效厂房",
            "标准厂房",
            "闲置厂区",
            "低效厂区",
        ],
        "厂区",
    )
    name = _cat(district, trade, word, suffix)
    owner = _cat(trade, word, "有限公司")
    reserve = (kind == "land") & (rng.random(n) < 0.2)
    owner = np.where(reserve, "泉州台商投资区土地收储中心（合成）", owner)
    contact = _cat("138-0000-", _zfill(rng.integers(0, 10_000, n).astype(str), 4))

    declared = np.round(area_m2 * (1.0 + np.clip(rng.normal(0.0, 0.006, n), -0.02, 0.02)), 1)
    declared = np.where(~is_point & (rng.random(n) < 0.12), np.nan, declared)
    declared = np.where(is_point, np.round(area_m2, 1), declared)

    # idle bare land a firm bought and never built on: supplied land under a development
    # obligation, whose statutory idle-land clock runs from the contract's agreed start date
    # (synthetic: the agreed start is the day it has stood unused since)
    supplied = (kind == "land") & (status == "idle") & ~reserve & (idle_since != None)  # noqa: E711
    agreed_start = np.where(supplied, idle_since, None).astype(object)
    shares = np.where(supplied, 0.0, np.nan)

    attrs: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "declared_land_area_m2": declared,
        "building_area_m2": building.astype(float),
        "floors": floors_arr,
        "floor_height_m": floor_height,
        "floor_load_kn_m2": floor_load,
        "power_kva": power,
        "land_use": land_use,
        "land_use_scheme": scheme,
        "status": status,
        "tenure": _obj(tenure),
        "rent_yuan_m2_month": rent,
        "land_price_yuan_mu": price,
        "idle_since": idle_since,
        "ready_date": ready,
        "agreed_start_date": agreed_start,
        "developed_share": shares,
        "invested_share": shares.copy(),
        "government_delay": np.full(n, None, dtype=object),
        "net_land": net_land,
        "obstacles": _obj(obstacles),
        "district": district,
        "tax_yuan_per_mu": tax,
        "output_yuan_per_mu": output,
        "owner": owner,
        "contact": contact,
        # helpers, not columns
        "_industry": industry,
        "_area_m2": area_m2,
    }
    for key, values in attrs.items():
        if isinstance(values, np.ndarray) and values.dtype.kind == "U":
            attrs[key] = values.astype(object)
    return attrs


def _set(attrs: dict[str, Any], i: int, **values: Any) -> None:
    for k, v in values.items():
        col = attrs[k]
        col[i] = v


def _pin_attributes(attrs: dict[str, Any], pos: dict[str, int], as_of: date, start: date) -> None:
    """Give the public cases their published figures and the decoys their traps."""
    d = timedelta
    if "TS-0001" in pos:
        _set(
            attrs,
            pos["TS-0001"],
            name="泰丰闲置厂区",
            kind="campus",
            declared_land_area_m2=168.0 * M2_PER_MU,
            building_area_m2=60_000.0,
            floors=4,
            floor_height_m=4.5,
            floor_load_kn_m2=6.5,
            power_kva=4000.0,
            land_use="1001",
            land_use_scheme="2020",
            status="idle",
            tenure=["lease", "transfer"],
            rent_yuan_m2_month=12.0,
            land_price_yuan_mu=380_000.0,
            idle_since=start - d(days=240),
            ready_date=as_of + d(days=20),
            net_land=True,
            obstacles=[],
            tax_yuan_per_mu=0.0,
            output_yuan_per_mu=0.0,
            owner="泰丰实业（合成）",
            contact="138-0000-0001",
        )
    if "TS-0002" in pos:
        _set(
            attrs,
            pos["TS-0002"],
            name="惠南某纺织企业法拍厂区",
            kind="campus",
            declared_land_area_m2=156.0 * M2_PER_MU,
            building_area_m2=66_000.0,
            floors=3,
            floor_height_m=6.0,
            floor_load_kn_m2=10.0,
            power_kva=3150.0,
            land_use="1001",
            land_use_scheme="2020",
            status="low_efficiency",
            tenure=["lease_then_transfer", "auction"],
            rent_yuan_m2_month=10.5,
            land_price_yuan_mu=300_000.0,
            ready_date=as_of + d(days=46),
            net_land=False,
            obstacles=[
                {
                    "kind": "other",
                    "description": "司法拍卖成交后过户及解除查封手续",
                    "delay_days": 30,
                }
            ],
            tax_yuan_per_mu=9_000.0,
            output_yuan_per_mu=350_000.0,
            owner="某纺织企业（破产清算，合成）",
            contact="138-0000-0002",
        )
    if "TS-0003" in pos:
        _set(
            attrs,
            pos["TS-0003"],
            name="利澳纸业扩建用地",
            kind="land",
            declared_land_area_m2=round(62.0 * M2_PER_MU, 1),
            building_area_m2=0.0,
            floors=pd.NA,
            floor_height_m=np.nan,
            floor_load_kn_m2=np.nan,
            power_kva=np.nan,
            land_use="1001",
            land_use_scheme="2020",
            status="low_efficiency",
            tenure=["transfer"],
            rent_yuan_m2_month=np.nan,
            land_price_yuan_mu=350_000.0,
            idle_since=start - d(days=1100),
            ready_date=as_of + d(days=180),
            net_land=False,
            obstacles=[
                {
                    "kind": "planning_adjustment",
                    "description": "控规调整：规划道路改线及用地边界调整",
                    "delay_days": 180,
                },
                {
                    "kind": "land_consolidation",
                    "description": "与相邻三宗零星低效用地整合",
                    "delay_days": 120,
                },
            ],
            tax_yuan_per_mu=4_000.0,
            output_yuan_per_mu=150_000.0,
            owner="张坂镇某村股份经济合作社（合成）",
            contact="138-0000-0003",
        )
    campus = {
        "kind": "campus",
        "land_use": "1001",
        "land_use_scheme": "2020",
        "floors": 3,
        "floor_height_m": 5.5,
        "floor_load_kn_m2": 8.0,
    }
    decoys: dict[str, dict[str, Any]] = {
        "decoy_small_buildings": {
            **campus,
            "status": "idle",
            "building_area_m2": 22_000.0,
            "floors": 2,
            "power_kva": 1600.0,
            "tenure": ["lease", "transfer"],
            "rent_yuan_m2_month": 11.5,
            "obstacles": [],
            "net_land": True,
            "ready_date": as_of + d(days=20),
        },
        "decoy_education_land": {
            **campus,
            "land_use": "0804",
            "status": "available",
            "building_area_m2": 18_000.0,
            "power_kva": 1250.0,
            "tenure": ["lease"],
            "rent_yuan_m2_month": 13.0,
            "obstacles": [],
            "ready_date": as_of + d(days=40),
        },
        "decoy_too_small": {
            **campus,
            "status": "idle",
            "building_area_m2": 52_000.0,
            "floors": 4,
            "power_kva": 3150.0,
            "tenure": ["lease", "transfer"],
            "rent_yuan_m2_month": 14.0,
            "obstacles": [],
            "net_land": True,
            "ready_date": as_of + d(days=45),
        },
        "decoy_title_dispute": {
            **campus,
            "status": "idle",
            "building_area_m2": 64_000.0,
            "floors": 4,
            "power_kva": 4000.0,
            "tenure": ["lease", "transfer"],
            "rent_yuan_m2_month": 12.0,
            "obstacles": [
                {
                    "kind": "title_dispute",
                    "description": "产权人债务纠纷，房产被查封",
                    "delay_days": 540,
                },
                {"kind": "relocation", "description": "原承租企业搬迁安置", "delay_days": 240},
            ],
            "net_land": False,
            "ready_date": as_of + d(days=560),
        },
        "decoy_near_chemicals": {
            **campus,
            "status": "available",
            "building_area_m2": 70_000.0,
            "power_kva": 5000.0,
            "tenure": ["transfer"],
            "rent_yuan_m2_month": 24.0,
            "land_price_yuan_mu": 520_000.0,
            "obstacles": [],
            "ready_date": as_of + d(days=30),
        },
        "decoy_negotiating": {
            **campus,
            "status": "negotiating",
            "building_area_m2": 58_000.0,
            "power_kva": 3150.0,
            "tenure": ["lease", "lease_then_transfer"],
            "rent_yuan_m2_month": 15.0,
            "obstacles": [
                {"kind": "utility_upgrade", "description": "变配电增容改造", "delay_days": 120}
            ],
            "net_land": False,
            "ready_date": as_of + d(days=150),
        },
    }
    for key, values in decoys.items():
        if key in pos:
            i = pos[key]
            if (
                values["status"] in ("idle", "available", "negotiating")
                and attrs["idle_since"][i] is None
            ):
                values = {**values, "idle_since": start - d(days=400)}
            values.setdefault("land_price_yuan_mu", 400_000.0)
            _set(attrs, i, **values)
            attrs["tax_yuan_per_mu"][i] = 2_000.0
            attrs["output_yuan_per_mu"][i] = 50_000.0


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


class _History:
    """Collects events as arrays and the initial value of every changed (asset, field)."""

    def __init__(self, day0: np.datetime64) -> None:
        self.day0 = day0
        self.parts: list[dict[str, np.ndarray]] = []
        self.initial: list[tuple[str, np.ndarray, np.ndarray]] = []

    def add(
        self, column: str, asset: np.ndarray, day: np.ndarray, value: np.ndarray, note: np.ndarray
    ) -> None:
        asset = np.asarray(asset, dtype=np.int64)
        if not len(asset):
            return
        self.parts.append(
            {
                "asset": asset,
                "day": np.asarray(day, dtype=np.int64),
                "field": np.full(len(asset), column, dtype=object),
                "value": value if value.dtype == object else value.astype(object),
                "note": np.broadcast_to(np.asarray(note, dtype=str), (len(asset),)),
            }
        )

    def start(self, column: str, asset: np.ndarray, value: np.ndarray) -> None:
        """Record the value ``column`` had for ``asset`` before its first event."""
        if len(asset):
            self.initial.append((column, np.asarray(asset, dtype=np.int64), value))

    def chain(
        self,
        column: str,
        asset: np.ndarray,
        days: np.ndarray,
        values: np.ndarray,
        notes: np.ndarray,
    ) -> None:
        """Add chains: ``values[:, 0]`` is the initial value; ``values[:, j]`` is set on
        ``days[:, j - 1]``."""
        if not len(asset):
            return
        m = days.shape[1]
        self.start(column, asset, values[:, 0])
        self.add(
            column,
            np.repeat(asset, m),
            days.ravel(),
            values[:, 1:].reshape(-1),
            np.asarray(notes).reshape(-1) if np.ndim(notes) else notes,
        )


def _numeric_chains(
    rng: np.random.Generator,
    hist: _History,
    column: str,
    final: np.ndarray,
    eligible: np.ndarray,
    counts: Sequence[int],
    probs: Sequence[float],
    lo: np.ndarray,
    hi: np.ndarray,
    step: Callable[[np.ndarray, np.random.Generator], np.ndarray],
    note: Callable[[np.ndarray], np.ndarray],
) -> None:
    """Chains of numeric changes ending at ``final``; earlier values come from ``step``."""
    m_of = np.asarray(counts)[_choose(rng, counts, probs, len(final))]
    m_of[~eligible] = 0
    for m in sorted(set(m_of.tolist()) - {0}):
        idx = np.flatnonzero(m_of == m)
        vals = np.empty((len(idx), m + 1))
        vals[:, m] = final[idx]
        for j in range(m - 1, -1, -1):
            vals[:, j] = step(vals[:, j + 1], rng)
        days = _increasing_days(rng, lo[idx], hi[idx], m)
        hist.chain(column, idx, days, vals.astype(object), note(vals[:, 1:]))


def _history(
    rng: np.random.Generator,
    attrs: dict[str, Any],
    geometry: np.ndarray,
    generic: np.ndarray,
    as_of: date,
    start: date,
) -> tuple[_History, np.ndarray, np.ndarray, np.ndarray]:
    """Generic history. Mutates final attributes that history decides (idle_since, owner…).

    Returns the history, the signing day per asset (-1 when not signed in the window), the
    investor name and the investor industry per asset.
    """
    n = len(geometry)
    total = (as_of - start).days
    day0 = np.datetime64(start, "D")
    hist = _History(day0)
    status = attrs["status"]
    lo = np.zeros(n, dtype=np.int64)

    # --- status chains, with idle_since, owner and ready_date companions ---------------
    # every path template as a row: earlier statuses then the final one, padded
    templates = [(st, path, p) for st, opts in _STATUS_PATHS.items() for path, p in opts]
    width = 1 + max(len(t[1]) for t in templates)
    t_len = np.array([len(t[1]) for t in templates])
    t_mat = np.full((len(templates), width), "", dtype=object)
    for k, (st, path, _) in enumerate(templates):
        t_mat[k, : len(path) + 1] = [*path, st]
    tmpl = np.full(n, -1)
    for st in _STATUS_PATHS:
        idx = np.flatnonzero((status == st) & generic)
        ks = [k for k, t in enumerate(templates) if t[0] == st]
        if len(idx):
            tmpl[idx] = np.array(ks)[_choose(rng, ks, [templates[k][2] for k in ks], len(idx))]
    m_of = np.where(tmpl >= 0, t_len[tmpl], 0)
    first_status = np.where(tmpl >= 0, t_mat[tmpl, 0], "")
    signing_day = np.full(n, -1, dtype=np.int64)
    first_day = np.full(n, -1, dtype=np.int64)
    to_zh = np.vectorize(_STATUS_ZH.get, otypes=[str])
    for m in sorted(set(m_of.tolist()) - {0}):
        idx = np.flatnonzero(m_of == m)
        days = _increasing_days(rng, lo[idx], np.full(len(idx), total), m)
        chain = t_mat[tmpl[idx], : m + 1]
        note = _cat("状态变更：", to_zh(chain[:, :-1]), "→", to_zh(chain[:, 1:]))
        hist.chain("status", idx, days, chain, note)
        signing_day[idx] = days[:, -1]
        first_day[idx] = days[:, 0]
    signs = np.isin(status, _SIGNED_STATUSES) & (m_of > 0)
    signing_day[~signs] = -1

    # investors for signing assets: industry follows the land use
    industry = attrs["_industry"].astype(object).copy()
    manu = rng.choice(_MANUFACTURING, n)
    lu = attrs["land_use"]
    inv_industry = np.where(np.isin(lu, list(_LAND_USE_INDUSTRY)), industry, manu).astype(str)
    inv_industry = np.where(lu == "1101", np.where(rng.random(n) < 0.6, "G59", "G54"), inv_industry)
    prefix = rng.choice(np.array(["泉州", "福建", "晋江", "厦门", "石狮"]), n)
    investor = _cat(
        prefix, _trade_names(rng, n), [_INDUSTRY_WORD[c] for c in inv_industry], "有限公司"
    )
    sidx = np.flatnonzero(signs)
    sdays = signing_day[sidx]
    # idle_since cleared at signing (it was an old date before)
    old_idle = _dates(day0, -rng.integers(30, 2000, n))
    had_idle = np.isin(first_status[sidx], ("idle", "low_efficiency"))
    hist.start("idle_since", sidx[had_idle], old_idle[sidx[had_idle]])
    hist.add(
        "idle_since",
        sidx[had_idle],
        sdays[had_idle],
        _obj([None] * int(had_idle.sum())),
        "签约后清除闲置起始日期",
    )
    attrs["idle_since"][sidx] = None
    # became idle or low-efficiency inside the window: idle_since set that day
    became = generic & (m_of == 1) & (first_status == "in_use")
    became &= np.isin(status, ("idle", "low_efficiency"))
    bidx = np.flatnonzero(became)
    bdays = first_day[bidx]
    bdates = _dates(day0, bdays)
    hist.start("idle_since", bidx, _obj([None] * len(bidx)))
    hist.add("idle_since", bidx, bdays, bdates, "停产，记录闲置起始日期")
    attrs["idle_since"][bidx] = bdates
    # transfers change the owner to the investor
    tr = sidx[status[sidx] == "transferred"]
    hist.start("owner", tr, attrs["owner"][tr].astype(object))
    hist.add(
        "owner",
        tr,
        signing_day[tr],
        investor[tr].astype(object),
        _cat("出让完成，权利人变更为", investor[tr]),
    )
    attrs["owner"][tr] = investor[tr]
    # signed sites are handed over soon after signing, with nothing left in the way
    handover = signing_day[sidx] + rng.integers(0, 46, len(sidx))
    attrs["ready_date"][sidx] = _dates(day0, handover)
    attrs["obstacles"][sidx] = _obj([[] for _ in sidx])

    # other changes of a signed site happen before signing
    hi = np.where(signing_day > 0, signing_day, total)

    # --- obstacles solved (the list shrinks), ready_date moves earlier, net land ---------
    solving = generic & (rng.random(n) < np.where(signs, 0.6, 0.3)) & (status != "withdrawn")
    ready_days = (attrs["ready_date"].astype("datetime64[D]") - day0).astype(np.int64)
    has_ready = ~np.isnat(attrs["ready_date"].astype("datetime64[D]"))
    solving &= has_ready
    sol_idx = np.flatnonzero(solving)
    solved_lists = _obstacles_for(rng, len(sol_idx))
    ready_off = ready_days[sol_idx]
    for m in (1, 2):
        sel = np.array([len(s) == m for s in solved_lists], dtype=bool)
        idx = sol_idx[sel]
        if not len(idx):
            continue
        solved = [solved_lists[k] for k in np.flatnonzero(sel)]
        base_ready = ready_off[sel]
        days = _increasing_days(rng, lo[idx], hi[idx], m)
        obst_vals = np.empty((len(idx), m + 1), dtype=object)
        ready_vals = np.empty((len(idx), m + 1), dtype=object)
        notes = np.empty((len(idx), m), dtype=object)
        for r, i in enumerate(idx):
            final = attrs["obstacles"][i]
            s = solved[r]
            for j in range(m + 1):
                obst_vals[r, j] = [dict(o) for o in s[j:]] + [dict(o) for o in final]
                extra = sum(o["delay_days"] for o in s[j:])
                ready_vals[r, j] = start + timedelta(days=int(base_ready[r] + extra))
            for j in range(m):
                notes[r, j] = f"已解决：{s[j]['description']}"
        hist.chain("obstacles", idx, days, obst_vals, notes.astype(str))
        hist.chain(
            "ready_date", idx, days, ready_vals, np.full((len(idx), m), "障碍解除，交地日期提前")
        )
        nl = np.array(
            [
                attrs["net_land"][i] and any(o["kind"] in _BLOCKS_NET_LAND for o in s)
                for i, s in zip(idx, solved, strict=True)
            ],
            dtype=bool,
        )
        last = days[:, -1]
        hist.start("net_land", idx[nl], _obj([False] * int(nl.sum())))
        hist.add("net_land", idx[nl], last[nl], _obj([True] * int(nl.sum())), "完成净地移交")

    # --- ready_date slips for other offerable sites --------------------------------------
    offer = np.isin(status, ("idle", "low_efficiency", "available", "negotiating", "reserved"))
    slip = generic & offer & ~solving & (rng.random(n) < 0.25)
    slip &= has_ready
    sl = np.flatnonzero(slip)
    before = _dates(day0, ready_days[sl] - rng.integers(30, 121, len(sl)))
    hist.start("ready_date", sl, before)
    hist.add(
        "ready_date",
        sl,
        _increasing_days(rng, lo[sl], hi[sl], 1)[:, 0],
        attrs["ready_date"][sl],
        "交地时间推迟",
    )

    # --- numeric series -----------------------------------------------------------------
    def half(v: np.ndarray) -> np.ndarray:
        return np.round(v * 2) / 2

    rent = attrs["rent_yuan_m2_month"]
    _numeric_chains(
        rng,
        hist,
        "rent_yuan_m2_month",
        rent,
        generic & ~np.isnan(rent),
        (0, 1, 2, 3),
        (0.3, 0.35, 0.25, 0.1),
        lo,
        hi,
        lambda v, g: np.clip(
            half(v * (1 + g.uniform(-0.06, 0.12, len(v)))) + 0.5 * (g.random(len(v)) < 0.5),
            8.0,
            26.0,
        ),
        lambda v: _cat("租金调整为", np.char.mod("%.1f", v), "元/㎡/月"),
    )
    price = attrs["land_price_yuan_mu"]
    _numeric_chains(
        rng,
        hist,
        "land_price_yuan_mu",
        price,
        generic & ~np.isnan(price),
        (0, 1),
        (0.7, 0.3),
        lo,
        hi,
        lambda v, g: np.round(v * (1 + g.uniform(0.03, 0.15, len(v))), -3),
        lambda v: _cat("挂牌价调整为", np.char.mod("%.1f", v / 1e4), "万元/亩"),
    )
    # half-yearly per-mu figures: 15 January and 15 July
    report_days = []
    for year in range(start.year, as_of.year + 1):
        for month in (1, 7):
            dd = (date(year, month, 15) - start).days
            if 0 < dd <= total:
                report_days.append(dd)
    report_days_arr = np.array(report_days, dtype=np.int64)
    for column, label in (("tax_yuan_per_mu", "亩均税收"), ("output_yuan_per_mu", "亩均产值")):
        final = attrs[column]
        ok = generic & ~np.isnan(final)
        rounding = -2 if column.startswith("tax") else -3
        for i_m in range(1, len(report_days_arr) + 1):
            # assets whose last report before their cut-off is the i_m-th one
            cnt = np.searchsorted(report_days_arr, hi, side="right")
            idx = np.flatnonzero(ok & (cnt == i_m))
            if not len(idx):
                continue
            vals = np.empty((len(idx), i_m + 1))
            vals[:, i_m] = final[idx]
            for j in range(i_m - 1, -1, -1):
                vals[:, j] = np.round(
                    vals[:, j + 1] * np.exp(rng.normal(0.05, 0.15, len(idx))), rounding
                )
            days = np.broadcast_to(report_days_arr[:i_m], (len(idx), i_m))
            hist.chain(
                column, idx, days, vals.astype(object), np.full((len(idx), i_m), f"更新{label}统计")
            )

    building = attrs["building_area_m2"]
    _numeric_chains(
        rng,
        hist,
        "building_area_m2",
        building,
        generic & (building > 0) & (rng.random(n) < 0.04),
        (1,),
        (1.0,),
        lo,
        hi,
        lambda v, g: np.round(v * g.uniform(0.6, 0.9, len(v)), -1),
        lambda v: _cat("加建完成，建筑面积更新为", np.char.mod("%.0f", v), "㎡"),
    )

    # --- tenure, owner and contact changes -----------------------------------------------
    ten = np.flatnonzero(generic & ~signs & (rng.random(n) < 0.04))
    before_t = []
    for i in ten:
        cur = attrs["tenure"][i]
        before_t.append(["lease"] if cur != ["lease"] else ["lease", "transfer"])
    hist.start("tenure", ten, _obj(before_t))
    hist.add(
        "tenure",
        ten,
        _increasing_days(rng, lo[ten], hi[ten], 1)[:, 0],
        _obj([list(attrs["tenure"][i]) for i in ten]),
        "取得方式调整",
    )
    own = np.flatnonzero(generic & ~np.isin(status, ("transferred",)) & (rng.random(n) < 0.03))
    old_owner = _cat(_trade_names(rng, len(own)), "实业有限公司")
    hist.start("owner", own, old_owner.astype(object))
    hist.add(
        "owner",
        own,
        _increasing_days(rng, lo[own], hi[own], 1)[:, 0],
        attrs["owner"][own].astype(object),
        "股权变更，权利人更名",
    )
    con = np.flatnonzero(generic & (rng.random(n) < 0.05))
    old_contact = _cat("138-0000-", _zfill(rng.integers(0, 10_000, len(con)).astype(str), 4))
    hist.start("contact", con, old_contact.astype(object))
    hist.add(
        "contact",
        con,
        _increasing_days(rng, lo[con], hi[con], 1)[:, 0],
        attrs["contact"][con].astype(object),
        "联系人变更",
    )

    # --- boundary corrections (geometry and declared area) --------------------------------
    declared = attrs["declared_land_area_m2"]
    cand = np.flatnonzero(generic & (shapely.get_type_id(geometry) == 3) & ~np.isnan(declared))
    n_geo = min(len(cand), max(2, n // 5000))
    geo = np.sort(rng.choice(cand, size=n_geo, replace=False)) if n_geo else cand[:0]
    gdays = _increasing_days(rng, lo[geo], hi[geo], 1)[:, 0]
    shrunk = _obj([shapely.affinity.scale(geometry[i], 0.97, 0.97, origin="centroid") for i in geo])
    hist.start("geometry", geo, shrunk)
    hist.add("geometry", geo, gdays, _obj([geometry[i] for i in geo]), "边界复测更正")
    hist.start("declared_land_area_m2", geo, np.round(declared[geo] * 0.9409, 1).astype(object))
    hist.add(
        "declared_land_area_m2",
        geo,
        gdays,
        declared[geo].astype(object),
        _cat("复测面积", np.char.mod("%.2f", declared[geo] / M2_PER_MU), "亩"),
    )
    return hist, signing_day, investor, inv_industry


def _public_history(
    hist: _History, attrs: dict[str, Any], pos: dict[str, int], as_of: date, start: date
) -> None:
    """Hand-written history of the public cases (dates as fractions of the window)."""
    total = (as_of - start).days

    def day(frac: float) -> int:
        return max(1, min(total, round(frac * total)))

    def one(asset: int, column: str, initial: Any, steps: list[tuple[float, Any, str]]) -> None:
        days = np.array([[day(s[0]) for s in steps]], dtype=np.int64)
        vals = _obj([initial] + [s[1] for s in steps]).reshape(1, -1)
        hist.chain(column, np.array([asset]), days, vals, np.array([[s[2] for s in steps]]))

    if "TS-0001" in pos:
        i = pos["TS-0001"]
        one(
            i,
            "rent_yuan_m2_month",
            15.0,
            [(0.14, 13.5, "业主下调挂牌租金"), (0.75, 12.0, "纳入盘活清单后租金下调")],
        )
        one(
            i,
            "obstacles",
            [{"kind": "utility_upgrade", "description": "变配电增容改造", "delay_days": 60}],
            [(0.70, [], "已解决：变配电增容改造")],
        )
        one(
            i,
            "ready_date",
            as_of + timedelta(days=92),
            [(0.70, attrs["ready_date"][i], "障碍解除，交地日期提前")],
        )
        one(i, "tax_yuan_per_mu", 1_200.0, [(0.28, 0.0, "更新亩均税收统计")])
        one(i, "output_yuan_per_mu", 30_000.0, [(0.28, 0.0, "更新亩均产值统计")])
    if "TS-0002" in pos:
        i = pos["TS-0002"]
        became = start + timedelta(days=day(0.09))
        attrs["idle_since"][i] = became
        one(i, "status", "in_use", [(0.09, "low_efficiency", "企业停产，认定为低效用地")])
        one(i, "idle_since", None, [(0.09, became, "停产，记录闲置起始日期")])
        one(
            i,
            "tax_yuan_per_mu",
            52_000.0,
            [(0.27, 18_000.0, "更新亩均税收统计"), (0.77, 9_000.0, "更新亩均税收统计")],
        )
        one(
            i,
            "output_yuan_per_mu",
            2_600_000.0,
            [(0.27, 900_000.0, "更新亩均产值统计"), (0.77, 350_000.0, "更新亩均产值统计")],
        )
        one(
            i,
            "tenure",
            ["lease"],
            [(0.72, ["lease_then_transfer", "auction"], "法院裁定司法拍卖；管委会同意先租后让")],
        )
        one(i, "owner", "某纺织企业（合成）", [(0.72, attrs["owner"][i], "企业进入破产清算")])
        one(
            i,
            "obstacles",
            [
                {
                    "kind": "title_dispute",
                    "description": "债务纠纷，厂房被法院查封",
                    "delay_days": 180,
                }
            ],
            [(0.90, [dict(o) for o in attrs["obstacles"][i]], "法拍成交，查封待解除")],
        )
        one(
            i,
            "ready_date",
            as_of + timedelta(days=185),
            [(0.90, attrs["ready_date"][i], "法拍成交，预计过户后交付")],
        )
        one(i, "rent_yuan_m2_month", 12.0, [(0.80, 10.5, "法拍期间过渡租金下调")])
    if "TS-0003" in pos:
        i = pos["TS-0003"]
        planning, consolidation = attrs["obstacles"][i]
        one(
            i,
            "obstacles",
            [dict(planning)],
            [
                (
                    0.48,
                    [dict(planning), dict(consolidation)],
                    "利澳纸业提出就地扩建需求，需整合相邻地块",
                )
            ],
        )
        one(
            i,
            "ready_date",
            as_of - timedelta(days=90),
            [(0.48, attrs["ready_date"][i], "扩建方案需先完成规划调整与用地整合")],
        )
        one(i, "land_price_yuan_mu", 320_000.0, [(0.82, 350_000.0, "挂牌价调整为35.0万元/亩")])


def _assemble_events(
    rng: np.random.Generator, hist: _History, asset_id: np.ndarray
) -> pd.DataFrame:
    if not hist.parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _EVENT_COLUMNS})
    cat = {k: np.concatenate([p[k] for p in hist.parts]) for k in hist.parts[0]}
    seq = np.arange(len(cat["asset"]))
    order = np.lexsort((seq, cat["day"]))
    n = len(order)
    return pd.DataFrame(
        {
            "asset_id": asset_id[cat["asset"][order]],
            "at": _dates(hist.day0, cat["day"][order]),
            "field": cat["field"][order].astype(str),
            "value": cat["value"][order],
            "author": _AUTHORS[rng.integers(0, len(_AUTHORS), n)],
            "note": cat["note"][order].astype(str),
        }
    )


# --------------------------------------------------------------------------------------------
# Firms and layers
# --------------------------------------------------------------------------------------------


def _local_to_metric(frame: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    cx, cy, c, s = frame[:4]
    return cx + x * c - y * s, cy + x * s + y * c


def _chemical_sites(lay: _Layout) -> np.ndarray:
    """Two tight chemical sites just outside 惠南 (south) and 张坂 (east), EPSG:4549.

    With the public cases the 惠南 site sits 1.1 km outside the decoy campus that opens the
    area's first row, so that decoy has chemicals within 2 km.
    """
    hn, zb = lay.area_frames[2], lay.area_frames[1]
    decoy = np.flatnonzero(lay.key == "decoy_near_chemicals")
    if len(decoy):
        bx, by = lay.centre[decoy[0]]
        c, s = hn[2], hn[3]
        site_a = (bx + 1100.0 * s, by - 1100.0 * c)
    else:
        site_a = _local_to_metric(hn, 0.0, -(hn[5] + 900.0))
    site_b = _local_to_metric(zb, zb[4] + 1000.0, 0.0)
    return np.array([site_a, site_b])


def _layers(lay: _Layout) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, np.ndarray]]:
    """Reference layers (EPSG:4490) and their metric coordinates."""
    rows: dict[str, list[tuple[str, float, float]]] = {k: list(v) for k, v in _BASE_LAYERS.items()}
    ext = lay.areas[3:]
    layers: dict[str, gpd.GeoDataFrame] = {}
    metric: dict[str, np.ndarray] = {}
    for name in LAYER_NAMES:
        pts = rows[name]
        names = [p[0] for p in pts]
        lon = np.array([p[1] for p in pts])
        lat = np.array([p[2] for p in pts])
        if ext and name in ("highway_exit", "town_centre"):
            off = (0.022, -0.018) if name == "highway_exit" else (-0.02, 0.021)
            names += [
                f"{a.district}{'高速互通' if name == 'highway_exit' else '镇区'}（示意）"
                for a in ext
            ]
            lon = np.r_[lon, [a.lon + off[0] for a in ext]]
            lat = np.r_[lat, [a.lat + off[1] for a in ext]]
        layers[name] = gpd.GeoDataFrame(
            {"name": np.array(names, dtype=str)},
            geometry=gpd.points_from_xy(lon, lat),
            crs=GEOGRAPHIC_CRS,
        )
        metric[name] = np.column_stack(_to_metric().transform(lon, lat))
    return layers, metric


def _firms(
    rng: np.random.Generator,
    n_firms: int,
    lay: _Layout,
    parcels_per_area: np.ndarray,
    layer_xy: dict[str, np.ndarray],
    liao_xy: np.ndarray | None,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Industry points clustered by industry; returns the frame and metric coordinates."""
    # cluster table: centre x, y (metric), sigma, weight, industry, heavy-tailed?
    cx, cy, sig, wt, ind, heavy = [], [], [], [], [], []

    def add(x: float, y: float, s: float, w: float, code: str, tail: bool = True) -> None:
        cx.append(x)
        cy.append(y)
        sig.append(s)
        wt.append(w)
        ind.append(code)
        heavy.append(tail)

    share = parcels_per_area / parcels_per_area.sum()
    base_share = float(share[:3].sum())
    base_xy = np.column_stack(
        _to_metric().transform(
            np.array([c[1] for c in _BASE_CLUSTERS]), np.array([c[2] for c in _BASE_CLUSTERS])
        )
    )
    for (code, _, _, s, w), (x, y) in zip(_BASE_CLUSTERS, base_xy, strict=True):
        add(x, y, s, w * base_share, code)
    paper_xy = liao_xy if liao_xy is not None else lay.area_centre[1]
    add(paper_xy[0], paper_xy[1], 500.0, _BASE_WEIGHTS["paper"] * base_share, "C22")
    for x, y in _chemical_sites(lay):
        add(x, y, 220.0, _BASE_WEIGHTS["chemicals"] * base_share / 2, "C26", tail=False)
    for name in ("highway_exit", "port"):
        base_pts = layer_xy[name][: len(_BASE_LAYERS[name])]
        for x, y in base_pts:
            w = _BASE_WEIGHTS["logistics"] * base_share / 5
            add(x, y, 600.0, w * 0.6, "G59")
            add(x, y, 600.0, w * 0.4, "G54")
    towns = layer_xy["town_centre"][: len(_BASE_LAYERS["town_centre"])]
    for x, y in towns:
        add(x, y, 700.0, _BASE_WEIGHTS["education"] * base_share / len(towns), "P83")
        add(x, y, 450.0, _BASE_WEIGHTS["research"] * base_share / len(towns), "M73")
    # further areas: six industry clusters each, around the area centre
    codes = list(_EXTENSION_INDUSTRIES)
    p = np.array([_EXTENSION_INDUSTRIES[c] for c in codes])
    for k in range(3, len(lay.areas)):
        picks = rng.choice(len(codes), size=6, replace=False, p=p / p.sum())
        ws = rng.dirichlet(np.ones(6)) * share[k]
        offs = rng.normal(0.0, 1200.0, (6, 2))
        sigmas = rng.uniform(300.0, 900.0, 6)
        for c, w, (ox, oy), s in zip(picks, ws, offs, sigmas, strict=True):
            add(
                lay.area_centre[k, 0] + ox,
                lay.area_centre[k, 1] + oy,
                s,
                w,
                codes[c],
                codes[c] != "C26",
            )
    cx_a, cy_a, sig_a, heavy_a = map(np.asarray, (cx, cy, sig, heavy))
    wt_a = np.asarray(wt)
    ind_a = np.asarray(ind)

    n_rand = n_firms - (1 if liao_xy is not None else 0)
    cl = rng.choice(len(wt_a), size=n_rand, p=wt_a / wt_a.sum())
    z = rng.standard_normal((n_rand, 2))
    chi = rng.chisquare(3.0, n_rand)
    scale = np.where(heavy_a[cl], 1.0 / np.sqrt(chi / 3.0) * 0.6, 1.0)  # t(3) tails, sd ~ sigma
    off = z * scale[:, None]
    r = np.hypot(off[:, 0], off[:, 1])
    limit = np.where(heavy_a[cl], 6.0, 2.0)
    off *= (np.minimum(r, limit) / np.where(r > 0, r, 1.0))[:, None]
    x = cx_a[cl] + off[:, 0] * sig_a[cl]
    y = cy_a[cl] + off[:, 1] * sig_a[cl]
    industry = ind_a[cl]
    for div, subs in _FINE_CODES.items():
        m = (industry == div) & (rng.random(n_rand) < 0.3)
        industry = np.where(m, np.array(subs)[rng.integers(0, len(subs), n_rand)], industry)
    uniq, inverse = np.unique(industry, return_inverse=True)
    word = np.array([_INDUSTRY_WORD[c[:3]] for c in uniq])[inverse]
    suffix = rng.choice(
        np.array(["有限公司", "股份有限公司", "实业有限公司", "科技有限公司"]),
        n_rand,
        p=[0.6, 0.1, 0.2, 0.1],
    )
    name = _cat(_trade_names(rng, n_rand), word, suffix)
    employees = np.clip(np.round(np.exp(rng.normal(math.log(60.0), 1.0, n_rand))), 3, 5000).astype(
        np.int64
    )
    width = max(6, len(str(n_rand)))
    firm_id = _cat("F-", _zfill(np.arange(1, n_rand + 1).astype(str), width))
    if liao_xy is not None:
        x = np.r_[liao_xy[0], x]
        y = np.r_[liao_xy[1], y]
        firm_id = np.r_[np.array([LIAO_FIRM_ID]), firm_id]
        name = np.r_[np.array(["利澳纸业（合成）"]), name]
        industry = np.r_[np.array(["C22"]), industry]
        employees = np.r_[420, employees]
    lon, lat = _to_geographic().transform(x, y)
    frame = gpd.GeoDataFrame(
        {"firm_id": firm_id, "name": name, "industry": industry, "employees": employees},
        geometry=gpd.points_from_xy(lon, lat),
        crs=GEOGRAPHIC_CRS,
    )
    return frame, np.column_stack([x, y])


# --------------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------------


def _deals(
    rng: np.random.Generator,
    attrs: dict[str, Any],
    asset_id: np.ndarray,
    centre_xy: np.ndarray,
    eligible: np.ndarray,
    signing_day: np.ndarray,
    investor: np.ndarray,
    inv_industry: np.ndarray,
    firms_xy: np.ndarray,
    firm_industry: np.ndarray,
    n_deals: int,
    start: date,
) -> pd.DataFrame:
    pool = np.flatnonzero(
        eligible
        & (signing_day > 0)
        & (attrs["land_use_scheme"] == "2020")
        & (attrs["land_use"] != "0901")
    )
    if len(pool) < n_deals:
        logger.warning(
            "Only %d signed assets can back a deal; making %d deals instead of %d.",
            len(pool),
            len(pool),
            n_deals,
        )
    take = np.sort(rng.choice(pool, size=min(n_deals, len(pool)), replace=False))
    take = take[np.argsort(signing_day[take], kind="stable")]
    chem = firms_xy[np.char.startswith(firm_industry.astype(str), "C26")]
    chem_tree = cKDTree(chem) if len(chem) else None
    rows = []
    for k, i in enumerate(take):
        signed_at = start + timedelta(days=int(signing_day[i]))
        area_mu = float(attrs["_area_m2"][i] / M2_PER_MU)
        building = float(attrs["building_area_m2"][i])
        rent = float(attrs["rent_yuan_m2_month"][i])
        status = attrs["status"][i]
        tenure = list(attrs["tenure"][i])
        wanted = {
            "leased": ("lease", "lease_then_transfer"),
            "transferred": ("transfer", "auction", "lease_then_transfer"),
        }.get(status, tuple(tenure))
        modes = [t for t in tenure if t in wanted] or tenure[:1]
        if rng.random() < 0.3:
            modes = sorted(set(modes) | {str(rng.choice(tenure))}, key=tenure.index)
        ready = attrs["ready_date"][i]
        need_days = max(0, (ready - signed_at).days) if ready is not None else 0
        industry = str(inv_industry[i])
        near = {industry: 1.0}
        if industry == "C19":
            near["C29"] = 0.5
        req: dict[str, Any] = {
            "investor": str(investor[i]),
            "industry": industry,
            "land_use": str(attrs["land_use"][i]),
            "land_area_mu": [
                math.floor(area_mu * rng.uniform(0.7, 0.95)),
                math.ceil(area_mu * rng.uniform(1.05, 1.4)),
            ],
            "building_area_m2": [float(round(building * rng.uniform(0.6, 0.95), -2)), None]
            if building > 0
            else None,
            "tenure": modes,
            "max_rent_yuan_m2_month": float(math.ceil(rent * rng.uniform(1.0, 1.3)))
            if not math.isnan(rent)
            else None,
            "ready_within_days": int(30 * math.ceil((need_days + rng.integers(0, 60)) / 30) or 30),
            "near_industries": near,
            "priorities": {
                k2: int(v)
                for k2, v in zip(
                    ("size", "readiness", "cost", "synergy"), rng.integers(1, 6, 4), strict=True
                )
            },
        }
        if industry in ("P83", "C13", "C14") and chem_tree is not None:
            dist, _ = chem_tree.query(centre_xy[i])
            if dist > 2000.0:
                req["avoid_industries"] = {"C26": 2000}
        rows.append(
            {
                "deal_id": f"D-{k + 1:04d}",
                "investor": str(investor[i]),
                "industry": industry,
                "signed_at": signed_at,
                "asset_id": str(asset_id[i]),
                "requirements": req,
                "outcome": "signed",
            }
        )
    deals = pd.DataFrame(rows, columns=list(_DEAL_COLUMNS))
    return deals


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def _validate(
    seed: int,
    n_assets: int,
    n_firms: int,
    as_of: date,
    history_years: float,
    n_deals: int,
    include_public_cases: bool,
) -> None:
    """Raise one :class:`ValidationError` listing every out-of-range argument."""
    minimum = len(_PINNED) + 3 if include_public_cases else 3
    checks = (
        ("seed", seed, "an int >= 0", _is_int(seed) and seed >= 0),
        ("n_assets", n_assets, f"an int >= {minimum}", _is_int(n_assets) and n_assets >= minimum),
        ("n_firms", n_firms, "an int >= 20", _is_int(n_firms) and n_firms >= 20),
        ("as_of", as_of, "a datetime.date", isinstance(as_of, date)),
        (
            "history_years",
            history_years,
            "a number of years in [0.25, 20]",
            isinstance(history_years, int | float) and 0.25 <= history_years <= 20,
        ),
        ("n_deals", n_deals, "an int >= 0", _is_int(n_deals) and n_deals >= 0),
    )
    problems = [
        Problem(
            None,
            name,
            f"The {name!r} parameter of generate_zone must be {expected}. Got {value!r} instead.",
        )
        for name, value, expected, ok in checks
        if not ok
    ]
    if problems:
        raise ValidationError("generate_zone got invalid arguments", problems)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def generate_zone(
    seed: int = 20240630,
    *,
    n_assets: int = 320,
    n_firms: int = 3200,
    as_of: date = date(2024, 6, 30),
    history_years: float = 2.0,
    n_deals: int = 36,
    include_public_cases: bool = True,
) -> DemoZone:
    """Generate a synthetic industrial zone in the Quanzhou Taiwanese Investment Zone.

    The same arguments always give the same zone. Parcels are laid out along streets in
    EPSG:4549 metres (non-overlapping rectangles, slightly irregular quadrilaterals, a few
    L-shapes and two-block multipolygons; about 5 % of assets are Points) and returned in
    EPSG:4490. Zones beyond about 460 assets add further industrial areas inland of the
    Fujian coast.

    Parameters
    ----------
    seed
        Seed of the random generator.
    n_assets
        Number of assets (at least 13 with the public cases, 3 without).
    n_firms
        Number of industry points, clustered by industry.
    as_of
        The zone's "today": the state of ``assets`` and the end of the history.
    history_years
        Length of the edit history before ``as_of``, in years.
    n_deals
        Number of past deals to make (fewer, with a warning, when too few assets were
        signed in the history window).
    include_public_cases
        Place the three public cases (``TS-0001``, ``TS-0002``, ``TS-0003``), the firm
        ``F-LIAO`` and a few decoy campuses.

    Returns
    -------
    DemoZone
        Assets, firms, layers, events, the initial state and deals, labelled synthetic.

    Raises
    ------
    assetmatch.ValidationError
        If a count, ``as_of`` or the history length is invalid (a ``ValueError``; every
        problem is listed).
    """
    _validate(seed, n_assets, n_firms, as_of, history_years, n_deals, include_public_cases)
    t0 = time.perf_counter()
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    start = as_of - timedelta(days=round(history_years * 365.25))
    streams = np.random.default_rng(seed).spawn(6)
    r_layout, r_attr, r_hist, r_firms, r_deals, r_events = streams

    n_pinned_assets = sum(1 for p in _PINNED if p[1] != "liao_plant") if include_public_cases else 0
    lay = _layout(r_layout, n_assets - n_pinned_assets, include_public_cases)
    keep = lay.key != "liao_plant"
    liao_xy = lay.centre[np.flatnonzero(~keep)[0]] if include_public_cases else None

    # asset order: public cases first, then by area and layout position
    kept = np.flatnonzero(keep)
    rank = np.full(len(kept), len(PUBLIC_CASE_IDS))
    for r, k in enumerate(PUBLIC_CASE_IDS):
        rank[lay.key[kept] == k] = r
    kept = kept[np.argsort(rank, kind="stable")]
    attrs = _attributes(r_attr, _subset(lay, kept), as_of, start)
    geometry_m = lay.geometry[kept]
    keys = lay.key[kept]
    n = len(kept)
    pos = {k: i for i, k in enumerate(keys) if k}
    _pin_attributes(attrs, pos, as_of, start)

    # ids
    width = max(4, len(str(n)))
    n_public = sum(1 for k in PUBLIC_CASE_IDS if k in pos)
    generic_ids = _cat("TS-", _zfill(np.arange(n_public + 1, n + 1).astype(str), width))
    asset_id = np.r_[
        np.array([k for k in PUBLIC_CASE_IDS if k in pos], dtype=str), generic_ids
    ].astype(str)

    # geometry to EPSG:4490
    geometry = shapely.transform(geometry_m, _metric_to_lonlat)
    is_public = np.isin(keys, PUBLIC_CASE_IDS)
    generic = ~is_public
    hist, signing_day, investor, inv_industry = _history(
        r_hist, attrs, geometry, generic, as_of, start
    )
    _public_history(hist, attrs, pos, as_of, start)

    layers, layer_xy = _layers(lay)
    per_area = np.bincount(lay.area[kept], minlength=len(lay.areas)).astype(float)
    firms, firms_xy = _firms(r_firms, n_firms, lay, per_area, layer_xy, liao_xy)

    eligible = generic & ~np.char.startswith(keys.astype(str), "decoy")
    deals = _deals(
        r_deals,
        attrs,
        asset_id,
        lay.centre[kept],
        eligible,
        signing_day,
        investor,
        inv_industry,
        firms_xy,
        firms["industry"].to_numpy(dtype=str),
        n_deals,
        start,
    )

    assets = _frame(asset_id, attrs, geometry)
    initial = assets.copy()
    # lists are mutable: the two frames must not share them
    initial["tenure"] = _obj([list(v) for v in assets["tenure"]])
    initial["obstacles"] = _obj([[dict(o) for o in v] for v in assets["obstacles"]])
    for column, idx, values in hist.initial:
        _assign(initial, column, idx, values)
    events = _assemble_events(r_events, hist, asset_id)

    zone = DemoZone(
        assets=assets,
        firms=firms,
        layers=layers,
        events=events,
        initial=initial,
        deals=deals,
        as_of=as_of,
        seed=int(seed),
        synthetic=True,
        source_note=_source_note(int(seed), include_public_cases),
    )
    logger.info(
        "Generated demo zone seed=%d: %d assets in %d industrial areas, %d firms, %d events, "
        "%d deals in %.2f s.",
        seed,
        len(assets),
        len(lay.areas),
        len(firms),
        len(events),
        len(deals),
        time.perf_counter() - t0,
    )
    return zone


def _subset(lay: _Layout, idx: np.ndarray) -> _Layout:
    return _Layout(
        area=lay.area[idx],
        key=lay.key[idx],
        geometry=lay.geometry[idx],
        target_m2=lay.target_m2[idx],
        shape=lay.shape[idx],
        centre=lay.centre[idx],
        areas=lay.areas,
        area_centre=lay.area_centre,
        area_frames=lay.area_frames,
    )


def _frame(asset_id: np.ndarray, attrs: dict[str, Any], geometry: np.ndarray) -> gpd.GeoDataFrame:
    data: dict[str, Any] = {"asset_id": asset_id}
    for column in DEMO_ASSET_COLUMNS[1:]:
        values = attrs[column]
        typ = ASSET_COLUMNS[column]
        if typ == "float":
            data[column] = np.asarray(values, dtype=float)
        elif typ == "int":
            data[column] = pd.array(values, dtype="Int64")
        elif typ == "bool":
            data[column] = np.asarray(values, dtype=bool)
        elif typ == "str":
            data[column] = np.asarray(values, dtype=str)
        else:
            data[column] = _obj(list(values))
    return gpd.GeoDataFrame(data, geometry=list(geometry), crs=GEOGRAPHIC_CRS)


def _assign(frame: gpd.GeoDataFrame, column: str, idx: np.ndarray, values: np.ndarray) -> None:
    col = frame.columns.get_loc(column)
    if ASSET_COLUMNS.get(column) in ("list[str]", "list[obstacle]", "date") or column == "geometry":
        arr = frame[column].to_numpy(dtype=object).copy()
        for i, v in zip(idx, values, strict=True):
            arr[i] = v
        if column == "geometry":
            frame[column] = gpd.GeoSeries(list(arr), index=frame.index, crs=frame.crs)
        else:
            frame[column] = _obj(list(arr))
    else:
        frame.iloc[idx, col] = list(values)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

_CRS_MEMBER: Final = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}


def _to_json_value(value: Any, typ: str | None) -> Any:
    """A JSON-ready form of one cell or event value."""
    if isinstance(value, BaseGeometry):
        return json.loads(shapely.to_geojson(value))
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


def _from_json_value(value: Any, typ: str | None) -> Any:
    """Inverse of :func:`_to_json_value` given the canonical type (``None`` for geometry)."""
    if typ is None:
        return shapely.from_geojson(json.dumps(value))
    if value is None:
        return np.nan if typ == "float" else None
    if typ == "date":
        return date.fromisoformat(value)
    if typ == "float":
        return float(value)
    return value


def _write_geojson(path: Path, frame: gpd.GeoDataFrame, types: dict[str, str]) -> None:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    cols = {c: frame[c].to_numpy(dtype=object) for c in columns}
    geoms = shapely.to_geojson(frame.geometry.to_numpy())
    features = []
    for i, g in enumerate(geoms):
        props = {c: _to_json_value(cols[c][i], types.get(c)) for c in columns}
        features.append(
            '{"type":"Feature","properties":'
            + json.dumps(props, ensure_ascii=False, separators=(",", ":"))
            + ',"geometry":'
            + g
            + "}"
        )
    head = json.dumps({"type": "FeatureCollection", "crs": _CRS_MEMBER}, separators=(",", ":"))[:-1]
    path.write_text(head + ',"features":[\n' + ",\n".join(features) + "\n]}\n", encoding="utf-8")


def _read_geojson(path: Path, types: dict[str, str]) -> gpd.GeoDataFrame:
    doc = json.loads(path.read_text(encoding="utf-8"))
    feats = doc["features"]
    columns = list(feats[0]["properties"]) if feats else list(types)
    data: dict[str, Any] = {}
    for c in columns:
        raw = [f["properties"].get(c) for f in feats]
        typ = types.get(c, "str")
        vals = [_from_json_value(v, typ) for v in raw]
        if typ == "float":
            data[c] = np.asarray(vals, dtype=float)
        elif typ == "int":
            data[c] = pd.array(vals, dtype="Int64")
        elif typ == "int64":
            data[c] = np.asarray(vals, dtype=np.int64)
        elif typ == "bool":
            data[c] = np.asarray(vals, dtype=bool)
        elif typ == "str":
            data[c] = np.asarray(vals, dtype=str)
        else:
            data[c] = _obj(vals)
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in feats]) if feats else []
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=GEOGRAPHIC_CRS)


_FIRM_TYPES: Final = {"firm_id": "str", "name": "str", "industry": "str", "employees": "int64"}


def write_zone(zone: DemoZone, directory: str | Path) -> list[Path]:
    """Write a zone as GeoJSON (assets, initial state, firms, layers) and CSV (events, deals).

    GeoJSON files carry full-precision EPSG:4490 coordinates and native JSON values
    (``tenure`` arrays, ``obstacles`` arrays of objects, ISO dates, ``null`` for missing).
    In the CSV files, ``value`` and ``requirements`` are JSON; a geometry value is a GeoJSON
    geometry. ``zone.json`` holds the seed, ``as_of`` and the source note.

    Parameters
    ----------
    zone
        The zone to write.
    directory
        Target folder, created if missing; existing files of the same names are replaced.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(directory)
    (out / "layers").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    types = dict(ASSET_COLUMNS)
    for name, frame in (("assets", zone.assets), ("initial", zone.initial)):
        p = out / f"{name}.geojson"
        _write_geojson(p, frame, types)
        written.append(p)
    p = out / "firms.geojson"
    _write_geojson(p, zone.firms, _FIRM_TYPES)
    written.append(p)
    for name, frame in zone.layers.items():
        p = out / "layers" / f"{name}.geojson"
        _write_geojson(p, frame, {"name": "str"})
        written.append(p)
    ev = zone.events.copy()
    ev["at"] = [d.isoformat() for d in ev["at"]]
    ev["value"] = [
        json.dumps(_to_json_value(v, ASSET_COLUMNS.get(f)), ensure_ascii=False)
        for f, v in zip(ev["field"], ev["value"], strict=True)
    ]
    p = out / "events.csv"
    ev.to_csv(p, index=False, encoding="utf-8")
    written.append(p)
    deals = zone.deals.copy()
    deals["signed_at"] = [d.isoformat() for d in deals["signed_at"]]
    deals["requirements"] = [json.dumps(r, ensure_ascii=False) for r in deals["requirements"]]
    p = out / "deals.csv"
    deals.to_csv(p, index=False, encoding="utf-8")
    written.append(p)
    meta = {
        "generator": "assetmatch.demo.generate_zone",
        "seed": zone.seed,
        "as_of": zone.as_of.isoformat(),
        "synthetic": zone.synthetic,
        "source_note": zone.source_note,
        "crs": GEOGRAPHIC_CRS,
        "layers": list(zone.layers),
        "counts": {
            "assets": len(zone.assets),
            "firms": len(zone.firms),
            "events": len(zone.events),
            "deals": len(zone.deals),
        },
    }
    p = out / "zone.json"
    p.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written.append(p)
    logger.info(
        "Wrote demo zone (%d assets, %d firms) to %s: %d files.",
        len(zone.assets),
        len(zone.firms),
        out,
        len(written),
    )
    return written


def read_zone(directory: str | Path) -> DemoZone:
    """Read a zone written by :func:`write_zone`.

    Parameters
    ----------
    directory
        Folder holding ``zone.json``, ``assets.geojson`` and the other files.

    Returns
    -------
    DemoZone
        The same tables with the same Python value types as :func:`generate_zone` returns.

    Raises
    ------
    FileNotFoundError
        If ``zone.json`` or another expected file is missing.
    """
    src = Path(directory)
    meta = json.loads((src / "zone.json").read_text(encoding="utf-8"))
    types = dict(ASSET_COLUMNS)
    assets = _read_geojson(src / "assets.geojson", types)
    initial = _read_geojson(src / "initial.geojson", types)
    firms = _read_geojson(src / "firms.geojson", _FIRM_TYPES)
    layers = {
        name: _read_geojson(src / "layers" / f"{name}.geojson", {"name": "str"})
        for name in meta["layers"]
    }
    ev = pd.read_csv(src / "events.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    ev["at"] = [date.fromisoformat(s) for s in ev["at"]]
    ev["value"] = _obj(
        [
            _from_json_value(json.loads(v), None if f == "geometry" else ASSET_COLUMNS[f])
            for f, v in zip(ev["field"], ev["value"], strict=True)
        ]
    )
    deals = pd.read_csv(src / "deals.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    deals["signed_at"] = [date.fromisoformat(s) for s in deals["signed_at"]]
    deals["requirements"] = [json.loads(s) for s in deals["requirements"]]
    return DemoZone(
        assets=assets,
        firms=firms,
        layers=layers,
        events=ev[list(_EVENT_COLUMNS)],
        initial=initial,
        deals=deals[list(_DEAL_COLUMNS)],
        as_of=date.fromisoformat(meta["as_of"]),
        seed=int(meta["seed"]),
        synthetic=bool(meta["synthetic"]),
        source_note=str(meta["source_note"]),
    )
