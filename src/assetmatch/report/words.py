"""The fixed words of a report (headings, column heads, labels), in Chinese and English.

The words that come with the data (criterion, tenure, status, obstacle names and the reasons)
live in :mod:`assetmatch.explain.words` and :mod:`assetmatch.explain.reasons`; this module holds
only what the report's own layout prints.
"""

from __future__ import annotations

from typing import Final

__all__ = ["LABELS", "labels"]

#: key -> (zh, en)
LABELS: Final[dict[str, tuple[str, str]]] = {
    "title": ("选址简报", "Site-selection brief"),
    "kicker": ("存量用地与厂房 · 招商选址", "Idle land and factories · site selection"),
    "prepared_for": ("呈送", "Prepared for"),
    "investor_unnamed": ("（未具名投资方）", "(investor not named)"),
    "report_date": ("报告日期", "Report date"),
    "data_as_of": ("数据截至", "Data as of"),
    "zone": ("园区", "Zone"),
    "requirements": ("投资需求", "Requirements"),
    "summary": ("结论", "Summary"),
    "overview": ("候选地块总览", "Shortlisted sites"),
    "shortlist": ("推荐名单", "Shortlist"),
    "site": ("候选地块", "Site"),
    "rank": ("排名", "Rank"),
    "name": ("名称", "Name"),
    "district": ("片区", "District"),
    "land_area": ("用地面积", "Land area"),
    "building_area": ("建筑面积", "Building area"),
    "rent_price": ("租金/地价", "Rent / price"),
    "tenure": ("取得方式", "Tenure"),
    "move_in": ("预计入驻", "Move-in"),
    "score": ("得分", "Score"),
    "falls_short": ("不足之处", "Falls short"),
    "none": ("无", "none"),
    "facts": ("基本情况", "Facts"),
    "fact": ("项目", "Fact"),
    "value": ("数值", "Value"),
    "recorded": ("记录日期", "Recorded"),
    "score_by_criterion": ("各项得分", "Score by criterion"),
    "reasons": ("推荐理由", "Reasons"),
    "shortfalls": ("不足", "Shortfalls"),
    "strengths": ("优势", "Strengths"),
    "land_use_path": ("用地性质路径", "Land-use path"),
    "move_in_estimate": ("入驻时间估算", "Move-in estimate"),
    "rent_history": ("租金变化", "Rent history"),
    "freshness": ("信息时效", "How fresh the facts are"),
    "map": ("地块及周边", "The parcel and its surroundings"),
    "near_misses": ("备选（差一项条件）", "Near misses (one condition short)"),
    "failed": ("未满足", "Fails"),
    "detail": ("说明", "Detail"),
    "would_score": ("若满足得分", "Would score"),
    "not_evaluated": ("未评估的条件", "Not evaluated"),
    "what_if": ("假如放宽条件", "What if a condition were relaxed"),
    "robustness": (
        "排名稳健性（权重随机扰动 ±20%，500 次）",
        "Robustness of the ranking (500 random ±20% changes of the weights)",
    ),
    "stays_in_top": ("留在前列的比例", "Stays in the shortlist"),
    "verdict": ("结论", "Verdict"),
    "robust": ("稳健", "robust"),
    "fragile": ("易变", "fragile"),
    "rank_topsis": ("TOPSIS 排名", "TOPSIS rank"),
    "rank_weighted_product": ("加权积排名", "Weighted-product rank"),
    "appendix": ("附录：方法与权重", "Appendix: method and weights"),
    "method": ("方法", "Method"),
    "weights": ("权重", "Weights"),
    "criterion": ("指标", "Criterion"),
    "weight": ("权重", "Weight"),
    "weight_share": ("占比", "Share"),
    "weights_source": ("权重来源", "Where the weights come from"),
    "page": ("第 {} 页", "page {}"),
    "contact": ("联系人", "Contact"),
    "owner": ("业主", "Owner"),
    "status": ("状态", "Status"),
    "kind": ("类型", "Kind"),
    "floors": ("层数", "Floors"),
    "floor_height": ("层高", "Floor height"),
    "floor_load": ("楼面荷载", "Floor load"),
    "power": ("供电容量", "Power"),
    "idle_since": ("闲置起始", "Idle since"),
    "days_idle": ("闲置天数", "Days idle"),
    "obstacles": ("待解决事项", "Obstacles"),
    "land_use": ("用地性质", "Land use"),
    "net_land": ("净地", "Net land"),
    "ready_date": ("业主申报交付日", "Ready date (declared)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "unknown": ("未知", "unknown"),
    "total": ("合计", "Total"),
    "days": ("天", "days"),
    "synthetic": (
        "演示数据为合成数据，不代表真实地块、企业或价格。",
        "The demo data is synthetic: no real site, firm or price.",
    ),
    "legend_site": ("本地块", "this site"),
    "legend_other": ("其他存量地块", "other inventory sites"),
    "legend_conflict": ("冲突企业：", "conflicting firms:"),
    "legend_ranked": ("推荐地块（编号为排名）", "shortlisted site (number = rank)"),
    "other_firms": ("其他行业企业", "firms of other industries"),
    "legend_rings": ("半径圈", "radius rings"),
    "no_firms": ("库中无周边企业数据", "no firm data in the inventory"),
    "no_rent_history": ("无租金记录", "no rent on record"),
    "rent_unit": ("元/㎡·月", "yuan/m²/month"),
    "rent_ceiling": ("租金上限", "rent ceiling"),
    "score_legend": (
        "条长为权重，填充为得分；红色为未达所述界限",
        "bar length: weight; filled: what the site earned; red: short of the stated limit",
    ),
    "generated_by": ("由 assetmatch {} 生成", "Made by assetmatch {}"),
    "eligible": (
        "共 {n_assets} 处存量资产，{n_offerable} 处可招商，{n_eligible} 处满足全部条件",
        "{n_assets} sites in the inventory, {n_offerable} on offer, "
        "{n_eligible} meet every condition",
    ),
    "ranked_n": ("推荐前 {} 处", "top {} shown"),
    "unevaluated_line": (
        "因缺少数据，所有场地均未评估：{}（见“未评估的条件”）。",
        'Not evaluated for any site, for want of data: {} (see the section "Not evaluated").',
    ),
    "no_site": ("没有地块满足全部条件。", "No site meets every condition."),
}


def labels(lang: str) -> dict[str, str]:
    """Every label of :data:`LABELS` in ``lang`` (``"zh"`` or ``"en"``)."""
    i = 0 if lang == "zh" else 1
    return {k: v[i] for k, v in LABELS.items()}
