"""The canonical columns of assets and firms, and their allowed values.

Every front door (a GeoDataFrame, a file, a spreadsheet, a store) normalises into these
names. Units are in the names: ``_m2`` square metres, ``_mu`` mu (2000/3 m²), ``_m`` metres,
``_yuan_m2_month`` yuan per square metre per month, ``_kn_m2`` kilonewtons per square metre,
``_kva`` kilovolt-amperes.
"""

from __future__ import annotations

from typing import Final

KINDS: Final = ("land", "factory", "campus")

STATUSES: Final = (
    "idle",
    "low_efficiency",
    "available",
    "negotiating",
    "reserved",
    "leased",
    "transferred",
    "in_use",
    "withdrawn",
)
#: Statuses in which an asset can be offered to an investor.
OFFERABLE_STATUSES: Final = ("idle", "low_efficiency", "available", "negotiating")

TENURE_MODES: Final = ("lease", "transfer", "lease_then_transfer", "auction")

OBSTACLE_KINDS: Final = (
    "planning_adjustment",  # 规划调整
    "land_consolidation",  # 用地整合
    "relocation",  # 搬迁
    "title_dispute",  # 权属纠纷
    "demolition",  # 拆除
    "environmental_remediation",  # 污染治理
    "utility_upgrade",  # 配套改造
    "other",
)

#: Canonical asset columns and their logical types. ``geometry`` is the GeoDataFrame's geometry.
#: Types: "str", "float", "int", "bool", "date", "list[str]", "list[obstacle]".
ASSET_COLUMNS: Final[dict[str, str]] = {
    "asset_id": "str",
    "name": "str",
    "kind": "str",
    "land_area_m2": "float",
    "declared_land_area_m2": "float",
    "has_boundary": "bool",
    "building_area_m2": "float",
    "floors": "int",
    "floor_height_m": "float",
    "floor_load_kn_m2": "float",
    "power_kva": "float",
    "land_use": "str",
    "land_use_scheme": "str",
    "status": "str",
    "tenure": "list[str]",
    "rent_yuan_m2_month": "float",
    "land_price_yuan_mu": "float",
    "idle_since": "date",
    "ready_date": "date",
    # supplied land not yet built: what the statutory idle-land clocks run from
    # (闲置土地处置办法 第二条、第八条; see assetmatch.domain.idle)
    "agreed_start_date": "date",  # 约定动工开发日期
    "developed_share": "float",  # developed area / area to be developed, 0-1
    "invested_share": "float",  # investment made / total investment, 0-1 (no land price)
    "government_delay": "bool",  # the delay is the government's or force majeure (第八条)
    "net_land": "bool",
    "obstacles": "list[obstacle]",
    "district": "str",
    "tax_yuan_per_mu": "float",
    "output_yuan_per_mu": "float",
    "owner": "str",
    "contact": "str",
}

#: Columns holding a share between 0 and 1 (a percentage is read as such on import).
SHARE_COLUMNS: Final = ("developed_share", "invested_share")

#: Columns the store derives itself; an input may not set them directly.
DERIVED_ASSET_COLUMNS: Final = ("land_area_m2", "has_boundary")

FIRM_COLUMNS: Final[dict[str, str]] = {
    "firm_id": "str",
    "name": "str",
    "industry": "str",  # GB/T 4754-2017 code, e.g. "C39" or finer "C3911"
    "employees": "int",
}

#: GB/T 4754-2017 divisions used by the demo zone and the default tables, with their names
#: (checked 2026-12-04 against the code list, see docs/domain-tables.md) and short English ones.
INDUSTRIES: Final[dict[str, tuple[str, str]]] = {
    "C13": ("农副食品加工业", "agri-food processing"),
    "C14": ("食品制造业", "food manufacturing"),
    "C17": ("纺织业", "textiles"),
    "C18": ("纺织服装、服饰业", "apparel"),
    "C19": ("皮革、毛皮、羽毛及其制品和制鞋业", "leather and footwear"),
    "C22": ("造纸和纸制品业", "paper"),
    "C26": ("化学原料和化学制品制造业", "chemicals"),
    "C28": ("化学纤维制造业", "chemical fibres / new materials"),
    "C29": ("橡胶和塑料制品业", "rubber and plastics"),
    "C30": ("非金属矿物制品业", "stone and building materials"),
    "C34": ("通用设备制造业", "general machinery"),
    "C35": ("专用设备制造业", "special-purpose machinery and moulds"),
    "C38": ("电气机械和器材制造业", "electrical machinery"),
    "C39": ("计算机、通信和其他电子设备制造业", "electronics"),
    "G54": ("道路运输业", "road transport"),
    "G59": ("装卸搬运和仓储业", "logistics and storage"),
    "M73": ("研究和试验发展", "research and development"),
    "M74": ("专业技术服务业", "testing, design and other technical services"),
    "P83": ("教育", "education"),
}
