"""Write data/plants.xlsx: a small SYNTHETIC sheet of plants, as zone staff keep them.

Run from the repository root: ``python scripts/make_plants.py``. The rows are invented (ids,
names, owners, figures); only the place — around the Quanzhou Taiwanese Investment Zone,
118.86°E 24.95°N — is real. The sheet's second tab says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from openpyxl import Workbook

logger = logging.getLogger("make_plants")

HEADERS = [
    "资产编号",
    "名称",
    "类型",
    "经度",
    "纬度",
    "面积（亩）",
    "建筑面积（㎡）",
    "用地性质",
    "用地分类标准",
    "状态",
    "供地方式",
    "租金（元/㎡/月）",
    "所在片区",
    "闲置时间",
]

ROWS = [
    [
        "PL-001",
        "示例一号厂房",
        "厂房",
        118.8612,
        24.9503,
        42.5,
        18600,
        "1001",
        "2020",
        "闲置",
        "租赁、出让",
        12.5,
        "杏东",
        "2024-03-01",
    ],
    [
        "PL-002",
        "示例二号地块",
        "土地",
        118.8705,
        24.9541,
        160,
        0,
        "工业",
        "2020",
        "可出让",
        "出让",
        None,
        "杏东",
        None,
    ],
    [
        "PL-003",
        "示例三号厂区",
        "厂区",
        118.8818,
        24.9476,
        185,
        56000,
        "教育",
        "2020",
        "低效",
        "先租后让",
        15,
        "惠南",
        "2023-11-15",
    ],
    [
        "PL-004",
        "示例四号仓库",
        "仓库",
        118.8934,
        24.9590,
        25,
        9800,
        "仓储",
        "2020",
        "可租赁",
        "租赁",
        9.8,
        "惠南",
        None,
    ],
    [
        "PL-005",
        "示例五号厂房",
        "厂房",
        118.9012,
        24.9655,
        38,
        15200,
        "1001",
        "2020",
        "洽谈中",
        "租赁",
        13.2,
        "张坂",
        None,
    ],
    [
        "PL-006",
        "示例六号地块（坐标待补）",
        "土地",
        None,
        None,
        60,
        0,
        "工业",
        "2020",
        "闲置",
        "出让",
        None,
        "张坂",
        "2024-01-10",
    ],
]

NOTE = [
    ["说明 / About this file"],
    ["本表为合成示例数据（虚构），不涉及任何真实地块、企业或个人；仅位置取自泉州台商投资区一带。"],
    ["This sheet is SYNTHETIC sample data: the ids, names and figures are invented; only the"],
    ["location (around the Quanzhou Taiwanese Investment Zone) is real."],
    ["Made by scripts/make_plants.py; the README's example imports it."],
    ["PL-006 has no coordinates on purpose: the import report rejects it, saying why."],
]


def main(dest: Path = Path("data/plants.xlsx")) -> Path:
    """Write the workbook to ``dest`` and return the path."""
    wb = Workbook()
    ws = wb.active
    ws.title = "资产清单"
    ws.append(HEADERS)
    for row in ROWS:
        ws.append(row)
    note = wb.create_sheet("说明")
    for line in NOTE:
        note.append(line)
    # fixed properties, so that the file is the same on every run
    wb.properties.creator = "assetmatch scripts/make_plants.py"
    wb.properties.title = "Synthetic sample plants (assetmatch)"
    wb.save(dest)
    logger.info("wrote %s (%d rows)", dest, len(ROWS))
    return dest


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
