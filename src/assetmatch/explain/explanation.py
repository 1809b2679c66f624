"""An asset's explanation: why it ranks where it does, in a person's words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Explanation"]


@dataclass
class Explanation:
    """Why an asset ranks where it does.

    Attributes
    ----------
    asset_id
        The asset.
    rank
        Its rank in the shortlist (1 = best), or ``None`` when it is not ranked (excluded,
        or outside the shortlist).
    score
        Total score in [0, 1], or ``-inf`` when excluded.
    lang
        Language of the texts (``"zh"`` or ``"en"``).
    contributions
        One row per criterion (index ``criterion``): ``name``, ``weight``, ``score``,
        ``contribution`` (weight × score), ``must`` and ``passed`` (for musts), ``reason``;
        ordered by contribution, failed musts first.
    facts
        The numbers behind the scores: areas (m² and mu), rent, tenure, status, move-in
        estimate and its parts, land-use path, obstacles, distances.
    reasons
        Plain-language reasons, most important first.
    """

    asset_id: str
    rank: int | None
    score: float
    lang: str
    contributions: pd.DataFrame
    facts: dict[str, Any]
    reasons: list[str]

    def __str__(self) -> str:
        name = self.facts.get("name") or ""
        zh = self.lang == "zh"
        if not math.isfinite(self.score):
            head = (
                "未入选（" + "；".join(self.facts.get("excluded_by", [])) + "）"
                if zh
                else ("not ranked (" + "; ".join(self.facts.get("excluded_by", [])) + ")")
            )
        elif self.rank is not None:
            head = (
                f"第 {self.rank} 名，得分 {self.score:.3f}"
                if zh
                else (f"rank {self.rank}, score {self.score:.3f}")
            )
        else:
            head = f"得分 {self.score:.3f}" if zh else f"score {self.score:.3f}"
        lines = [f"{self.asset_id} {name} — {head}".replace("  ", " ")]
        lines.append("推荐理由：" if zh else "Reasons:")
        lines += [f"  - {r}" for r in self.reasons]
        table = self.contributions[["name", "weight", "score", "contribution"]].copy()
        table.columns = (
            ["指标", "权重", "得分", "贡献"]
            if zh
            else ["criterion", "weight", "score", "contribution"]
        )
        lines.append("各项得分：" if zh else "Scores:")
        with pd.option_context("display.unicode.east_asian_width", True):  # 指标 is 4 columns
            lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        return "\n".join(lines)
