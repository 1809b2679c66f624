"""The import report: what an import did, row by row, as data and as text (en/zh)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import Problem, ValidationError
from .wording import field_zh, reason_zh

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did, row by row.

    Attributes
    ----------
    source
        Where the rows came from.
    rows
        Number of rows read.
    created, updated, unchanged
        Asset ids written as new, changed (with one event per changed field), or identical.
    repaired
        DataFrame ``row, asset_id, reason, area_before_m2, area_after_m2, area_change_m2``.
    rejected
        DataFrame ``row, asset_id, field, reason`` — one line per problem.
    notes
        DataFrame ``row, asset_id, field, message`` — accepted rows worth a look (a declared
        area that disagrees with the boundary, a guessed unit…).
    committed
        Whether anything was written.
    columns
        Canonical field → the source's own column header (for the text of the report).
    row_order
        Row labels in source order (findings are listed in this order).
    coords
        The ``coords=`` the import was read with (``gcj02``/``bd09`` are noted in the text).
    extra_columns
        The source's columns that match no canonical field: kept as they are in each asset's
        ``extra`` attributes, and named in the text so a misspelt header is seen.
    header_row, header_lines
        The spreadsheet line (from 1) its header was read from (the last, for a header on
        two lines: groups over their parts) and how many lines it takes: a ledger's title and
        notes above it are not data (named in the text when it is not the first line).
    shadowed_columns
        Extra columns whose header names a field that another column already feeds
        (``土地面积（㎡）`` beside ``土地面积（亩）``): column → the column read.
    """

    source: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=[
                "row",
                "asset_id",
                "reason",
                "area_before_m2",
                "area_after_m2",
                "area_change_m2",
            ]
        )
    )
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "asset_id", "field", "reason"])
    )
    notes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "asset_id", "field", "message"])
    )
    committed: bool = False
    events_written: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    row_order: list[Any] = field(default_factory=list)
    coords: str = "wgs84"
    extra_columns: list[str] = field(default_factory=list)
    header_row: int = 1
    header_lines: int = 1
    shadowed_columns: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[str]:
        """Ids of every accepted asset (created, updated or unchanged)."""
        return [*self.created, *self.updated, *self.unchanged]

    @property
    def n_rejected_rows(self) -> int:
        """Number of distinct rows rejected."""
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        from .._html import report_html

        return report_html(self)

    def to_text(self, lang: str = "en", *, limit: int = 40) -> str:
        """The report as text a person reads: a summary, then one line per finding.

        Findings (rejected, repaired, noted) come in the order of the rows in the source,
        and name fields by the source's own column headers (``面积（亩）``, not
        ``declared_land_area_m2``). A note says when web-map coordinates (GCJ-02, BD-09)
        were converted.

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``: the summary, labels and reasons (a Chinese report words
            every reason in Chinese, see :mod:`assetmatch.ingest.wording`; the values it
            quotes stay as given).
        limit
            Most findings listed; the rest are counted.
        """
        if lang not in ("en", "zh"):
            raise ValidationError(
                "unknown report language", [Problem(None, "lang", f"'en' or 'zh'; got {lang!r}")]
            )
        zh = lang == "zh"
        n_acc, n_rej = len(self.accepted), self.n_rejected_rows
        if zh:
            head = (
                f"从 {self.source} 导入：共 {self.rows} 行，接受 {n_acc} 行（新增 "
                f"{len(self.created)}，更新 {len(self.updated)}，未变 {len(self.unchanged)}），"
                f"修复 {len(self.repaired)} 行，拒绝 {n_rej} 行；写入 {self.events_written} 条记录"
                + ("" if self.committed else "（未写入任何内容）")
            )
        else:
            head = (
                f"import from {self.source}: {self.rows} rows, {n_acc} accepted "
                f"({len(self.created)} new, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged), {len(self.repaired)} repaired, "
                f"{n_rej} rejected; {self.events_written} events written"
                + ("" if self.committed else " (nothing written)")
            )
        lines = [head, *(f"  {line}" for line in self._source_lines(lang))]
        label = {
            "rejected": "拒绝" if zh else "rejected",
            "repaired": "修复" if zh else "repaired",
            "note": "提示" if zh else "note",
        }
        # every finding's place in the source, then only the lines shown are worded (a large
        # import can have a finding on every row: word them all and the report takes minutes)
        at = self._positions()
        frames = [
            ("rejected", self.rejected, "reason"),
            ("repaired", self.repaired, "reason"),
            ("note", self.notes, "message"),
        ]
        pos = [
            np.fromiter((at.get(r, len(at)) for r in f["row"].tolist()), np.int64, len(f))
            for _, f, _ in frames
        ]
        which = np.repeat(np.arange(len(frames)), [len(p) for p in pos])
        line = np.concatenate([np.arange(len(p)) for p in pos])
        found = np.lexsort((np.arange(len(which)), np.concatenate(pos)))  # source order
        for k in found[:limit].tolist():
            kind, frame, text_col = frames[which[k]]
            r = frame.iloc[int(line[k])]
            fld = r.get("field")
            fld = fld if isinstance(fld, str) and fld else None
            where = f"第 {r['row']} 行" if zh else f"row {r['row']}"
            text = r[text_col]
            shown = f"{self._column_name(fld, lang)}: " if fld else ""
            reason = reason_zh(text) if zh else text
            aid = r["asset_id"]
            who = f" ({aid})" if isinstance(aid, str) and aid else ""
            lines.append(f"  {label[kind]} {where}{who}: {shown}{reason}")
        if len(found) > limit:
            more = len(found) - limit
            lines.append(
                f"  …另有 {more} 条，见 .rejected / .repaired / .notes"
                if zh
                else f"  … {more} more in .rejected / .repaired / .notes"
            )
        return "\n".join(lines)

    def _in_source_order(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (:attr:`rejected`, :attr:`repaired` or :attr:`notes`) with its lines in
        the order of their rows in the source (lines of one row keep their order)."""
        at = self._positions()
        key = [at.get(r, len(at)) for r in frame["row"].tolist()]
        return frame.iloc[np.argsort(np.asarray(key, dtype=np.int64), kind="stable")]

    def _positions(self) -> dict[Any, int]:
        """Each row label's position in the source (the first, if a label repeats)."""
        at: dict[Any, int] = {}
        for k, row in enumerate(self.row_order):
            at.setdefault(row, k)
        return at

    def _source_lines(self, lang: str = "en") -> list[str]:
        """What the text says of the source as a whole: web-map coordinates converted, the
        header's row, columns kept as extra attributes (unmatched, or naming a field another
        column feeds)."""
        zh = lang == "zh"
        lines: list[str] = []
        if self.coords in ("gcj02", "bd09"):
            name = {"gcj02": "GCJ-02", "bd09": "BD-09"}[self.coords]
            maps = {"gcj02": "高德、腾讯", "bd09": "百度"}[self.coords]
            maps_en = {"gcj02": "Amap, Tencent", "bd09": "Baidu"}[self.coords]
            lines.append(
                f"坐标：按 {name}（{maps}地图）偏移坐标读取，已转换为 WGS 84 / CGCS2000 后再量算"
                if zh
                else f"coordinates: read as {name} web-map coordinates ({maps_en}) and "
                "converted to WGS 84 / CGCS2000 before anything was measured"
            )
        if self.header_row > 1:
            first = self.header_row - self.header_lines + 1
            where = f"{first}–{self.header_row}" if first < self.header_row else f"{first}"
            above = first - 1
            tail_zh = f"，其上 {above} 行为标题或说明，未作为数据读取" if above else ""
            tail_en = (
                f" (the {above} row(s) above it, a title or notes, were not read as data)"
                if above
                else ""
            )
            lines.append(
                f"表头在第 {where} 行{('（' + tail_zh[1:] + '）') if above else ''}"
                if zh
                else f"header read on row{'s' if first < self.header_row else ''} {where}{tail_en}"
            )
        unmatched = [c for c in self.extra_columns if c not in self.shadowed_columns]
        if unmatched:
            shown = "、".join(unmatched) if zh else ", ".join(unmatched)
            n = len(unmatched)
            lines.append(
                f"未识别的列 {n} 个，原样存入其他属性（extra）：{shown}"
                if zh
                else f"{n} column(s) matched no field and were kept as extra attributes: {shown}"
            )
        for col, read in self.shadowed_columns.items():
            lines.append(
                f"列 {col} 与已读取的列 {read} 对应同一字段，原样存入其他属性（extra）"
                if zh
                else f"column {col} names the same field as {read}, which was read; kept as an "
                "extra attribute"
            )
        return lines

    def _column_name(self, fld: str, lang: str = "en") -> str:
        """The source's header for a canonical field (unmapped: the field, or its Chinese
        name in a Chinese report)."""
        if fld in self.columns:
            return self.columns[fld]
        return field_zh(fld) if lang == "zh" else fld
