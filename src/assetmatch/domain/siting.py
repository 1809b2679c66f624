"""School siting distances from railways and major roads (GB 50099-2011 §4.1.6).

GB 50099-2011《中小学校设计规范》第4.1.6条 (checked 2026-12-04, see docs/domain-tables.md):
the outer walls with windows of a school's main teaching rooms are to be at least 300 m from
railway tracks and at least 80 m from expressways, surface rail transit lines and urban
arterial roads; where the distance falls short, effective sound insulation is required.

The rules are checked against the store's reference layers (``Inventory.add_layer``; the
distance is the ``access_{layer}_m`` context column, from the site boundary to the nearest
feature). A layer counts for a rule when its name is one of the rule's ``layers`` (case does
not matter). The site boundary is the conservative stand-in for the teaching buildings' walls:
a site flagged here may still fit if its teaching buildings stand far enough inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["SCHOOL_SITING", "SitingRule", "school_siting_applies", "siting_rule"]


@dataclass(frozen=True)
class SitingRule:
    """A minimum distance between a school's teaching buildings and a kind of feature.

    Attributes
    ----------
    key
        Short name of the rule (``"railway"``, ``"road"``).
    layers
        Reference-layer names that hold such features (lower case).
    min_distance_m
        The distance in metres.
    name_zh, name_en
        The features, as staff name them.
    basis_zh, basis_en
        The clause, cited beside the distance.
    """

    key: str
    layers: tuple[str, ...]
    min_distance_m: float
    name_zh: str
    name_en: str
    basis_zh: str
    basis_en: str

    def layer_in(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` that are layers of this rule (keeping their spelling)."""
        return [n for n in names if str(n).lower() in self.layers]


_WHERE_SHORT = (
    "不足时应采取有效的隔声措施；按地块边界量算",
    "where short, effective sound insulation is required; measured from the site boundary",
)

#: The rules of GB 50099-2011 §4.1.6, in the order they are reported.
SCHOOL_SITING: Final[tuple[SitingRule, ...]] = (
    SitingRule(
        "railway",
        ("railway", "railway_line", "rail_line"),
        300.0,
        "铁路",
        "railway",
        f"GB 50099-2011 第4.1.6条：教学用房外墙距铁路路轨；{_WHERE_SHORT[0]}",
        f"GB 50099-2011 §4.1.6: teaching buildings from railway tracks; {_WHERE_SHORT[1]}",
    ),
    SitingRule(
        "road",
        ("expressway", "arterial_road", "urban_arterial_road", "surface_rail_transit"),
        80.0,
        "高速路、地上轨道交通线或城市主干道",
        "expressway, surface rail transit or urban arterial road",
        "GB 50099-2011 第4.1.6条：教学用房外墙距高速路、地上轨道交通线或城市主干道；"
        f"{_WHERE_SHORT[0]}",
        "GB 50099-2011 §4.1.6: teaching buildings from expressways, surface rail transit and "
        f"urban arterial roads; {_WHERE_SHORT[1]}",
    ),
)


def siting_rule(key: str) -> SitingRule:
    """The rule of :data:`SCHOOL_SITING` named ``key``."""
    for rule in SCHOOL_SITING:
        if rule.key == key:
            return rule
    raise KeyError(key)


#: GB/T 4754-2017 groups of the schools GB 50099-2011 covers: 初等教育, 中等教育.
_SCHOOL_GROUPS: Final = ("P832", "P833")


def school_siting_applies(industry: str | None, target_land_class: str | None) -> bool:
    """Whether a brief is for a primary or secondary school, to which GB 50099-2011 applies.

    An education brief at division level (``P83``) or for land of the education class counts
    (it may be a school); kindergartens (P831), higher education (P834) and training (P839)
    do not.
    """
    if industry is not None:
        code = industry.strip().upper()
        return any(code.startswith(g) or g.startswith(code) for g in _SCHOOL_GROUPS)
    return target_land_class == "education"
