"""``match(requirements)``: a ranked, explained shortlist of sites for an investor.

The pipeline is short: the brief is validated (:class:`~assetmatch.requirements.Requirements`),
the inventory becomes a columnar :class:`~assetmatch.scoring.FeatureTable` (once; pass a
prepared table to re-rank many briefs), the :class:`~assetmatch.scoring.SiteScorer` scores
every asset in vectorised passes, the top assets are picked without a full sort, and only
those rows (and the near misses) get facts and plain-language reasons, in Chinese or English.

A :class:`~assetmatch.result.MatchResult` (defined in :mod:`assetmatch.result`, re-exported
here) serialises to JSON with the brief, the weights, the model's parameters,
the match date, the inventory's state time and the package version, so a shortlist can be
reproduced: run :func:`match` again with the same brief, weights, ``as_of`` and model on the
same inventory state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.core.construction import sanitize_array

from ._errors import Problem, UnknownAssetError, ValidationError, wrong_type
from .context._crs import _project_lonlat
from .explain.explanation import Explanation
from .explain.facts import _Ctx, _facts_rows
from .explain.labels import check_lang
from .explain.reasons import _reason, _short_reasons
from .requirements import Requirements
from .result import MatchResult, package_version
from .scoring.scorer import (
    Evaluation,
    FeatureTable,
    SiteScorer,
    Weights,
    prepare,
    top_k,
)
from .units import m2_to_mu

logger = logging.getLogger(__name__)

__all__ = ["Explanation", "MatchResult", "match", "package_version", "prepare_inventory"]


# ====================================================================== match


def prepare_inventory(inventory: Any, as_of: Any = None) -> FeatureTable:
    """Build the feature table of an :class:`assetmatch.Inventory` (assets and context).

    Parameters
    ----------
    inventory
        The inventory.
    as_of
        Rebuild the assets as they stood on this date (the context is the current one).
    """
    assets = inventory.assets(as_of=as_of)
    # an empty inventory has no context (and a new store no CRS to compute one in)
    context = inventory.context() if len(assets) else None
    table_as_of = as_of if as_of is not None else getattr(inventory, "as_of", None)
    table = prepare(
        assets,
        context,
        as_of=table_as_of,
        state_time=getattr(inventory, "state_time", None),
        crs=getattr(inventory, "crs", None),
    )
    policy = getattr(inventory, "zone_policy", None)
    if callable(policy):
        table.landuse_paths = policy(as_of=as_of)
    return table


def match(
    requirements: Requirements | Mapping[str, Any] | str,
    inventory: Any = None,
    *,
    assets: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
    features: FeatureTable | None = None,
    firms: pd.DataFrame | None = None,
    top: int = 10,
    as_of: Any = None,
    weights: Weights | Mapping[str, float] | None = None,
    model: SiteScorer | Mapping[str, Any] | None = None,
    near_misses: int | None = None,
    lang: str = "zh",
) -> MatchResult:
    """Rank the inventory's assets for an investor's requirements.

    Parameters
    ----------
    requirements
        The brief: :class:`~assetmatch.requirements.Requirements`, a dict or a JSON string.
    inventory
        An :class:`assetmatch.Inventory`; its assets and context are read (or its prepared
        feature table, when it offers ``features()``).
    assets, context
        Instead of an inventory: assets (GeoDataFrame indexed by ``asset_id`` or with an
        ``asset_id`` column) and their context features. Assets in longitude/latitude
        (EPSG:4326, EPSG:4490) are projected to metres by the store's rule (the CGCS2000 3°
        Gauss–Krüger zone of their median longitude; logged), as
        :func:`assetmatch.context_features` does.
    features
        Instead of either: a table prepared by :func:`assetmatch.scoring.prepare` or
        :func:`prepare_inventory` — the fast path for many briefs on one inventory.
    firms
        Firms (with ``firm_id`` and point geometry) for a brief ``near`` a firm; default the
        inventory's.
    top
        Length of the shortlist.
    as_of
        The match date (readiness and freshness count from it); with an inventory, the
        assets are also read as they stood that day. Default the inventory's date (a demo
        zone's "today"), else today.
    weights
        :class:`~assetmatch.scoring.Weights` or a criterion → weight mapping; default from
        the brief.
    model
        A :class:`~assetmatch.scoring.SiteScorer` (its parameters are used; the brief and
        weights of this call replace its own), a dict of its parameters, or a fitted
        :class:`assetmatch.MatchModel` (its learned weights, unless ``weights`` is given).
    near_misses
        How many near misses to report; default ``top``.
    lang
        Language of the reasons: ``"zh"`` or ``"en"``.

    Returns
    -------
    MatchResult

    Raises
    ------
    assetmatch.ValidationError
        If the brief is invalid (every problem listed), or a must cannot be checked on this
        inventory.
    assetmatch.UnknownAssetError
        If ``near`` names an asset or firm that does not exist.

    Examples
    --------
    >>> import assetmatch as am
    >>> from assetmatch.match import match
    >>> brief = {"industry": "P83", "land_use": "0804", "land_area_mu": [150, 200],
    ...          "building_area_m2": [50_000, None], "ready_within_days": 90}
    >>> res = match(brief, inventory=am.Inventory.demo())
    >>> res.table.loc[0, "asset_id"]
    'TS-0001'
    >>> res.explain("TS-0001", lang="en").reasons[0]
    '168 mu, within the required 150–200 mu'
    """
    lang = check_lang(lang)
    if not (isinstance(top, int | np.integer) and top >= 1):
        raise ValidationError(
            f"The 'top' parameter of match must be an integer >= 1. Got {top!r} instead."
        )
    if near_misses is not None and not (
        isinstance(near_misses, int | np.integer) and near_misses >= 0
    ):
        raise wrong_type("near_misses", "an integer >= 0 or None", near_misses, of="match")
    req = Requirements.coerce(requirements)
    X = _features(inventory, assets, context, features, as_of)
    scorer = _scorer(model, req, weights, as_of)
    _use_zone_policy(scorer, X, inventory, as_of)
    scorer.fit(X)
    near_place, exclude = _near_place(req, X, inventory, firms)
    ev = scorer.rank_scores(X, near_place=near_place, exclude=exclude)

    rows = top_k(ev.score, int(top))
    n_nm = int(top if near_misses is None else near_misses)
    if n_nm > 0:
        nm_rows = top_k(ev.near_miss, n_nm)
    else:
        nm_rows = np.empty(0, dtype=np.intp)
    counts = {
        "n_assets": len(X),
        "n_offerable": int(np.count_nonzero(ev.offerable)),
        "n_eligible": int(np.count_nonzero(np.isfinite(ev.score))),
    }
    logger.info(
        "matched %s: %d assets, %d offerable, %d pass every must; top %d",
        req.investor or "brief",
        counts["n_assets"],
        counts["n_offerable"],
        counts["n_eligible"],
        len(rows),
    )
    # the shortlist's facts, reasons and tables are built when the result's tables are read
    shortlist = _Shortlist(
        _Ctx(X, scorer, req, scorer.as_of_, near_place),
        rows,
        nm_rows,
        ev.score[rows],
        ev.near_miss[nm_rows],
        lang,
    )
    result = MatchResult(
        table=shortlist,  # type: ignore[arg-type]
        near_misses=shortlist,  # type: ignore[arg-type]
        requirements=req,
        weights=scorer.weights_,
        model=scorer,
        features=X,
        as_of=scorer.as_of_,
        lang=lang,
        counts=counts,
        near_place=near_place,
        exclude=exclude,
        inventory=inventory,
    )
    return result


def _features(
    inventory: Any,
    assets: pd.DataFrame | None,
    context: pd.DataFrame | None,
    features: FeatureTable | None,
    as_of: Any,
) -> FeatureTable:
    given = [x is not None for x in (inventory, assets, features)]
    if sum(given) != 1:
        raise ValidationError(
            "match needs exactly one of inventory=, assets= (with context=) or features=. "
            f"Got {sum(given)} of them."
        )
    if features is not None:
        return features
    if assets is not None:
        # lon/lat assets (EPSG:4326, 4490…) are projected by the store's rule, as their context is
        assets, _, _ = _project_lonlat(assets, "assets")
        return prepare(_with_land_area(assets), context, as_of=as_of)
    if not callable(getattr(inventory, "assets", None)):
        raise wrong_type("inventory", "an Inventory", inventory)
    provider = getattr(inventory, "features", None)
    if callable(provider):
        return provider(as_of=as_of)
    return prepare_inventory(inventory, as_of=as_of)


def _with_land_area(assets: pd.DataFrame) -> pd.DataFrame:
    """Assets whose missing ``land_area_m2`` is derived from their boundary, as on import.

    Only polygons with neither a ``land_area_m2`` nor a ``declared_land_area_m2`` get one
    (the ground area, :func:`assetmatch.geo.crs.ground_area_m2`); points and given areas are
    left as they are.
    """
    crs = getattr(assets, "crs", None)
    if crs is None or "geometry" not in assets.columns or not len(assets):
        return assets
    from .geo.crs import ground_area_m2

    given = pd.Series(np.nan, index=assets.index)
    for col in ("declared_land_area_m2", "land_area_m2"):
        if col in assets.columns:
            given = given.fillna(pd.to_numeric(assets[col], errors="coerce"))
    missing = given.isna().to_numpy()
    if not missing.any():
        return assets
    derived = ground_area_m2(assets.geometry[missing], crs)
    if np.isnan(derived).all():
        return assets
    out = assets.copy()
    area = pd.to_numeric(out.get("land_area_m2", given), errors="coerce").astype(float)
    area[missing] = derived
    out["land_area_m2"] = area
    logger.info("land area derived from the boundary of %d assets", int((~np.isnan(derived)).sum()))
    return out


def _scorer(
    model: SiteScorer | Mapping[str, Any] | None,
    req: Requirements,
    weights: Weights | Mapping[str, float] | None,
    as_of: Any,
) -> SiteScorer:
    from .learn import MatchModel

    if isinstance(model, MatchModel):  # learned weights: the model's, unless weights= is given
        weights = weights if weights is not None else _learned_weights(model)
        model = None
    if model is None:
        scorer = SiteScorer()
    elif isinstance(model, SiteScorer):
        from sklearn.base import clone

        scorer = clone(model)
    elif isinstance(model, Mapping):
        params = dict(model.get("params", model))
        params.pop("requirements", None)
        params.pop("weights", None)
        scorer = SiteScorer(**params)
    else:
        raise ValidationError(
            "The 'model' parameter of match must be a SiteScorer, a dict of its parameters "
            "or a fitted MatchModel. "
            f"Got {type(model).__name__} instead."
        )
    if weights is not None and not isinstance(weights, Weights):
        weights = Weights.from_dict(weights)  # a mapping; anything else is refused there
    scorer.set_params(requirements=req, weights=weights if weights is not None else scorer.weights)
    if as_of is not None:
        scorer.set_params(as_of=as_of)
    return scorer


def _learned_weights(model: Any) -> Weights:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "coef_")
    if model.weights_ is None:
        raise ValidationError(
            "The MatchModel cannot weigh a match:",
            [Problem(None, "model", "it was fitted on columns that are not the criteria")],
        )
    return model.weights_


def _use_zone_policy(scorer: SiteScorer, X: FeatureTable, inventory: Any, as_of: Any) -> None:
    """Give the scorer the zone policy in force on the match date.

    A path table given in ``model`` wins; then the one the feature table was prepared with
    (:func:`prepare_inventory`); then the inventory's; without any, the bundled defaults.
    """
    if scorer.landuse_paths is not None:
        return
    table = X.landuse_paths
    policy = getattr(inventory, "zone_policy", None)
    if table is None and callable(policy):
        table = policy(as_of=as_of)
    if table is not None:
        scorer.set_params(landuse_paths=table)
        logger.debug("zone policy of the match: rules %s", table.version)


def _near_place(
    req: Requirements, X: FeatureTable, inventory: Any, firms: pd.DataFrame | None
) -> tuple[tuple[float, float, float] | None, int]:
    near = req.near
    if near is None or "x" not in X:
        return None, -1
    x0, y0 = X.origin
    if near.kind == "asset":
        pos = X.position(near.asset_id)  # type: ignore[arg-type]
        return (float(X["x"][pos]), float(X["y"][pos]), float(X["radius"][pos])), pos
    if near.kind == "firm":
        if firms is None and inventory is not None and callable(getattr(inventory, "firms", None)):
            firms = inventory.firms()
        if firms is None:
            raise ValidationError(
                "The brief is near a firm; pass firms= (or an inventory with firms)."
            )
        frame = firms.set_index("firm_id") if "firm_id" in firms.columns else firms
        if near.firm_id not in frame.index:
            raise UnknownAssetError(f"Firm {near.firm_id!r} is not among the firms.")
        geom = frame.loc[[near.firm_id]]
        if X.crs is not None and getattr(geom, "crs", None) is not None and geom.crs != X.crs:
            geom = geom.to_crs(X.crs)
        pt = geom.geometry.iloc[0]
        c = pt.centroid if pt.geom_type != "Point" else pt
        return (c.x - x0, c.y - y0, 0.0), -1
    from pyproj import Transformer

    if X.crs is None:
        raise ValidationError(
            "The feature table has no CRS; a lon/lat place cannot be placed in it."
        )
    tr = Transformer.from_crs("EPSG:4490", X.crs, always_xy=True)
    px, py = tr.transform(near.lon, near.lat)
    return (px - x0, py - y0, 0.0), -1


# ---------------------------------------------------------------------- result tables


@dataclass
class _Detail:
    """The shortlist and the near misses, evaluated in detail together (a few rows)."""

    sub: FeatureTable
    ev: Evaluation
    facts: list[dict[str, Any]]


class _Shortlist:
    """The ranked rows and near misses of a match, explained and tabled on first read.

    The facts and reasons of these rows and the two result frames are most of a warm
    match's fixed cost; a :class:`~assetmatch.result.MatchResult` builds them when
    ``table`` or ``near_misses`` is first read (both from one detailed evaluation). The
    feature table is never modified (a patched inventory makes a new one), so the frames are
    the same whenever they are built.
    """

    def __init__(
        self,
        ctx: _Ctx,
        rows: np.ndarray,
        nm_rows: np.ndarray,
        scores: np.ndarray,
        nm_scores: np.ndarray,
        lang: str,
    ) -> None:
        self.ctx, self.rows, self.nm_rows = ctx, rows, nm_rows
        self.scores, self.nm_scores, self.lang = scores, nm_scores, lang
        self._detail: _Detail | None = None

    def columns(self, name: str, geometry: bool = True) -> dict[str, Any]:
        """The columns of the result frame ``name`` (``"table"`` or ``"near_misses"``), each a
        NumPy or extension array as the frame holds it (see :func:`_frame`); the table's
        ``geometry`` left out when ``geometry`` is false (a JSON record has none)."""
        if self._detail is None:
            self._detail = _detail(self.ctx, np.concatenate([self.rows, self.nm_rows]))
        k = len(self.rows)
        if name == "table":
            return _ranked_columns(
                self.ctx, self._detail, slice(0, k), self.scores, self.lang, geometry
            )
        return _near_miss_columns(self.ctx, self._detail, slice(k, None), self.nm_scores, self.lang)

    def build(self, name: str) -> pd.DataFrame:
        """The result frame ``name``: ``"table"`` or ``"near_misses"``."""
        data = self.columns(name)
        if name == "near_misses" and not len(self.nm_rows):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in _NEAR_MISS_COLUMNS})
        frame = _frame(data)
        return _geo_frame(frame) if "geometry" in data else frame


def _detail(result: _Ctx, rows: np.ndarray) -> _Detail:
    sub = result.features.take(rows)
    ev = result.model.evaluate(sub, detail=True, near_place=result.near_place)
    return _Detail(sub, ev, _facts_rows(result, sub, ev))


def _ranked_columns(
    result: _Ctx, d: _Detail, part: slice, scores: np.ndarray, lang: str, geometry: bool = True
) -> dict[str, Any]:
    sub, ev = d.sub, d.ev
    idx = np.arange(len(sub))[part]
    facts = d.facts[part]
    n = len(idx)
    data: dict[str, Any] = {
        "rank": np.arange(1, n + 1),
        "asset_id": sub.ids[idx].astype(str),
        "name": [f["name"] for f in facts],
        "score": scores.astype(float),  # the ranking's own totals
        "move_in_days": np.round(ev.move_in_days[idx].astype(float), 0),
        "move_in_date": [f["move_in_date"] for f in facts],
        "reasons": [
            _short_reasons(ev, int(i), f, result.requirements, lang)
            for i, f in zip(idx, facts, strict=True)
        ],
    }
    for c in ev.criteria:
        data[f"s_{c}"] = ev.scores[c][idx].astype(float)
    for c in ev.criteria:
        data[f"c_{c}"] = ev.scores[c][idx].astype(float) * ev.weights[c]
    data["district"] = [f["district"] for f in facts]
    data["land_area_mu"] = np.round(m2_to_mu(sub["land_area_m2"][idx].astype(float)), 1)
    data["building_area_m2"] = sub["building_area_m2"][idx].astype(float)
    data["status"] = [f["status"] for f in facts]
    data["land_use_path"] = [f["land_use_path"] for f in facts]
    shapes = sub.frame_values("geometry") if geometry else None  # None without the column
    if shapes is not None:
        import geopandas as gpd

        data["geometry"] = gpd.array.from_shapely(shapes[idx], crs=sub.frame_crs)
    return {k: _column(v) for k, v in data.items()}


@lru_cache(maxsize=1)
def _str_dtype() -> Any:
    """The dtype pandas 3 infers for a column of Python strings (``str``, in PyArrow when it is
    installed); ``None`` before pandas 3, whose inference follows ``future.infer_string``."""
    if int(pd.__version__.split(".")[0]) < 3:
        return None
    return sanitize_array(["a"], None).dtype


def _strings(values: list[Any] | np.ndarray) -> Any:
    """The ``str`` column of ``values`` (a NumPy array of text, or ``str`` and ``None``)."""
    dtype = _str_dtype()
    if getattr(dtype, "storage", None) != "pyarrow":
        return sanitize_array(values, None)
    import pyarrow as pa
    from pandas.arrays import ArrowStringArray

    if isinstance(values, np.ndarray):
        values = values.tolist()
    return ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=dtype)


def _column(values: Any) -> Any:
    """``values`` as the array ``pd.DataFrame({name: values})`` holds, without its inference.

    Numeric NumPy arrays and extension arrays are kept; a NumPy array of text, and a list of
    ``str`` (some maybe ``None``, at least one a string) become the ``str`` column pandas infers
    for them, built straight from a PyArrow array when pandas stores text in PyArrow; anything
    else goes through pandas' own conversion. Inferring the type of the few columns of a
    shortlist was most of its frames' cost (~1 ms). Equal to the inferred column (tested).
    """
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.dtype.kind in "fiub":
            return values
        if values.ndim == 1 and values.dtype.kind == "U":
            return _strings(values)
    elif isinstance(values, ExtensionArray):
        return values
    elif (
        isinstance(values, list)
        and any(v is not None for v in values)
        and all(v is None or type(v) is str for v in values)
    ):
        return _strings(values)
    return sanitize_array(values, None)


def _frame(data: dict[str, Any]) -> pd.DataFrame:
    """``pd.DataFrame(data)`` of columns made by :func:`_column`, without re-checking them."""
    n = len(next(iter(data.values()))) if data else 0
    names = list(data)
    # the column names' Index made from their str array, not inferred from them (~30 us)
    named = bool(names) and all(type(k) is str for k in names)
    return pd.DataFrame._from_arrays(
        list(data.values()),
        columns=pd.Index(_strings(names)) if named else pd.Index(names),
        index=pd.RangeIndex(n),
        verify_integrity=False,
    )


def _geo_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (its last column ``geometry``, a GeometryArray) as a GeoDataFrame.

    Made as geopandas makes the result of a pandas operation on a GeoDataFrame
    (``GeoDataFrame._constructor_from_mgr``: the same blocks, ``geometry`` the active
    column), without the public constructor's deep copy, consolidation and re-inference of the
    column (~1 ms of a 10-row shortlist). Equal to ``GeoDataFrame(frame, geometry="geometry")``
    (tested).
    """
    import geopandas as gpd

    gdf = gpd.GeoDataFrame._from_mgr(frame._mgr, frame.axes)
    gdf._geometry_column_name = "geometry"
    return gdf


_NEAR_MISS_COLUMNS: Final = ("asset_id", "name", "failed", "by", "detail", "score", "move_in_days")


def _near_miss_columns(
    result: _Ctx, d: _Detail, part: slice, scores: np.ndarray, lang: str
) -> dict[str, Any]:
    cols = list(_NEAR_MISS_COLUMNS)
    idx = np.arange(len(d.sub))[part]
    if len(idx) == 0:
        return {c: np.empty(0, dtype=object) for c in cols}
    ev = d.ev
    out: dict[str, list[Any]] = {c: [] for c in cols}
    for k, i in enumerate(idx):
        failed = [c for c in ev.failed if ev.failed[c][i]]
        c = failed[0] if failed else ""
        facts = d.facts[i]
        shortfall = ev.detail.get(f"shortfall_{c}")
        by = float(shortfall[i]) if shortfall is not None else (1.0 if c else float("nan"))
        out["asset_id"].append(str(d.sub.ids[i]))
        out["name"].append(facts.get("name"))
        out["failed"].append(c)
        out["by"].append(by)
        out["detail"].append(_reason(c, facts, result.requirements, lang) if c else "")
        out["score"].append(float(scores[k]))
        out["move_in_days"].append(float(np.round(ev.move_in_days[i])))
    # the figures are Python floats: pandas would infer float64 for them
    data = {c: np.array(v, dtype=np.float64) if c in _NM_FLOATS else v for c, v in out.items()}
    return {c: _column(v) for c, v in data.items()}


_NM_FLOATS: Final = frozenset({"by", "score", "move_in_days"})
