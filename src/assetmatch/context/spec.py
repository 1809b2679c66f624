"""Parameters of a context computation, checked once, and the columns they give."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._errors import CRSError, ValidationError, wrong_type
from ..domain.industry import ConflictRule, default_conflicts, load_conflicts
from ._crs import _crs_name, _same_crs
from .firms import FirmIndex, _Labels, _labels
from .kernel import _Out
from .parcels import _Assets, _check_assets

ConflictsLike = pd.DataFrame | str | Iterable[ConflictRule] | None


# --------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class _Spec:
    radii: np.ndarray
    bandwidth: float
    rules: pd.DataFrame
    layer_names: tuple[str, ...]

    @property
    def rmax(self) -> float:
        return float(self.radii[-1])


def _radius_name(r: float) -> str:
    return str(int(r)) if float(r).is_integer() else repr(float(r)).replace(".", "_")


def _make_spec(
    radii_m: Sequence[float],
    kernel_bandwidth_m: float,
    conflicts: ConflictsLike,
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    level: str,
) -> _Spec:
    try:
        radii = np.asarray(list(radii_m), dtype=float)
    except (TypeError, ValueError):  # not a list of numbers
        radii = np.empty((0, 0))
    if radii.ndim != 1 or radii.size == 0 or not np.isfinite(radii).all() or (radii <= 0).any():
        raise ValidationError(
            "The 'radii_m' parameter of context_features must be positive distances in "
            f"metres. Got {radii_m!r} instead."
        )
    if len(np.unique(radii)) != len(radii):
        raise ValidationError(f"The 'radii_m' parameter has duplicates: {list(radii_m)!r}")
    if not (
        isinstance(kernel_bandwidth_m, Real)
        and math.isfinite(kernel_bandwidth_m)
        and kernel_bandwidth_m > 0
    ):
        raise ValidationError(
            "The 'kernel_bandwidth_m' parameter of context_features must be a positive "
            f"distance in metres. Got {kernel_bandwidth_m!r} instead."
        )
    if level not in ("division", "code"):
        raise ValidationError(
            "The 'level' parameter of context_features must be 'division' or 'code'. "
            f"Got {level!r} instead."
        )
    rules = _conflict_rules(conflicts)
    if layers is not None and not isinstance(layers, Mapping):
        raise wrong_type("layers", "a mapping of name to GeoDataFrame", layers)
    names = tuple(layers) if layers else ()
    for name in names:
        if not str(name).isidentifier():
            raise ValidationError(f"layer name {name!r} must be usable in a column name")
    return _Spec(
        radii=np.sort(radii), bandwidth=float(kernel_bandwidth_m), rules=rules, layer_names=names
    )


#: Conflict rules loaded from the records a stored context names (its parameters), by their
#: JSON text: a refresh of a few rows would otherwise validate the same rules every time.
_RULES_MEMO: dict[str, pd.DataFrame] = {}


def _conflict_rules(conflicts: ConflictsLike) -> pd.DataFrame:
    """The conflict rules of the spec (shared between calls; never modified)."""
    if conflicts is None:
        return _default_rules()
    if isinstance(conflicts, pd.DataFrame) and conflicts.empty:
        return load_conflicts([])
    if not (isinstance(conflicts, list) and all(isinstance(r, dict) for r in conflicts)):
        return load_conflicts(conflicts)
    key = json.dumps(conflicts, sort_keys=True, default=str)
    rules = _RULES_MEMO.get(key)
    if rules is None:
        rules = load_conflicts(conflicts)
        if len(_RULES_MEMO) > 16:
            _RULES_MEMO.clear()
        _RULES_MEMO[key] = rules
    return rules


@functools.lru_cache(maxsize=1)
def _default_rules() -> pd.DataFrame:
    return default_conflicts()


def _conflict_codes(rules: pd.DataFrame) -> list[str]:
    codes = list(rules["source"]) + [s for s in rules["sensitive"] if s[:1].isupper()]
    return list(dict.fromkeys(codes))


# --------------------------------------------------------------------------------------------
# Columns


def _breach_flags(spec: _Spec, labels: _Labels) -> dict[str, tuple[str, str, float]]:
    """``breach_{use}_near_{other}`` → (kind of the other side, other, distance)."""
    flags: dict[str, tuple[str, str, float]] = {}

    def add(use: str, other: str, kind: str, dist: float) -> None:
        name = f"breach_{use}_near_{other}"
        if name not in flags or flags[name][2] < dist:
            flags[name] = (kind, other, dist)

    for rule in spec.rules.itertuples(index=False):
        add(rule.sensitive, rule.source, "firm", float(rule.min_distance_m))
        if rule.sensitive in labels.codes:
            add(rule.source, rule.sensitive, "firm", float(rule.min_distance_m))
        elif rule.sensitive in spec.layer_names:
            add(rule.source, rule.sensitive, "layer", float(rule.min_distance_m))
    return flags


def _column_names(spec: _Spec, labels: _Labels) -> list[str]:
    out_codes = labels.codes[: labels.n_out]
    names = ["centroid_x", "centroid_y", "equiv_radius_m"]
    names += [f"n_{c}_{_radius_name(r)}m" for c in out_codes for r in spec.radii]
    names += [f"nearest_{c}_m" for c in out_codes]
    names += [f"presence_{c}" for c in out_codes]
    names += [f"access_{name}_m" for name in spec.layer_names]
    for code in _conflict_codes(spec.rules):
        names += [f"conflict_{code}_nearest_m", f"conflict_{code}_nearest_firm"]
    flags = _breach_flags(spec, labels)
    names += list(flags)
    if flags or len(spec.rules):
        names.append("conflicts_breached")
    return names


def _assemble(A: _Assets, out: _Out, spec: _Spec, labels: _Labels) -> pd.DataFrame:
    """The context table: :func:`_columns` as a frame indexed by ``asset_id``."""
    index = A.ids.rename("asset_id")
    return pd.DataFrame(_columns(A, out, spec, labels, index), index=index)


def _columns(
    A: _Assets,
    out: _Out,
    spec: _Spec,
    labels: _Labels,
    index: pd.Index | None,
    flags: dict[str, tuple[str, str, float]] | None = None,
    codes: list[str] | None = None,
) -> dict[str, Any]:
    """The context table's columns by name, in order (arrays, or a Series on ``index``; with
    ``index`` ``None`` every column is a NumPy array, the firm ids an object array).
    ``flags``, ``codes``: :func:`_breach_flags` of the spec and labels and
    :func:`_conflict_codes` of its rules, when the caller kept them."""
    cols: dict[str, Any] = {
        "centroid_x": A.cx,
        "centroid_y": A.cy,
        "equiv_radius_m": np.sqrt(A.area / np.pi),
    }
    for j in range(labels.n_out):
        for k, r in enumerate(spec.radii):
            cols[f"n_{labels.codes[j]}_{_radius_name(r)}m"] = out.counts[:, j, k]
    for j in range(labels.n_out):
        cols[f"nearest_{labels.codes[j]}_m"] = out.nearest[:, j]
    for j in range(labels.n_out):
        cols[f"presence_{labels.codes[j]}"] = out.presence[:, j]
    for name in spec.layer_names:
        cols[f"access_{name}_m"] = out.access[name]
    for code in _conflict_codes(spec.rules) if codes is None else codes:
        j = labels.index(code)
        cols[f"conflict_{code}_nearest_m"] = out.nearest[:, j]
        # object dtype always: firm ids of any type, None where there is no firm
        cols[f"conflict_{code}_nearest_firm"] = (
            pd.Series(out.nearest_id[:, j], index=index, dtype=object)
            if index is not None
            else np.array(out.nearest_id[:, j], dtype=object)
        )
    if flags is None:
        flags = _breach_flags(spec, labels)
    breached = np.zeros(len(A), dtype=np.int16)
    for name, (kind, other, dist) in flags.items():
        near = out.nearest[:, labels.index(other)] if kind == "firm" else out.access[other]
        cols[name] = near < dist
        breached += cols[name]
    if flags or len(spec.rules):
        cols["conflicts_breached"] = breached
    return cols


def _attach_params(frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    frame.attrs.update(_params_attrs(params))
    return frame


def _params_attrs(params: dict[str, Any]) -> dict[str, Any]:
    """The ``attrs`` of a context table computed now with ``params``."""
    return {
        "context_params": params,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _check_layers(layers: Mapping[str, gpd.GeoDataFrame] | None, crs: CRS) -> None:
    for name, layer in (layers or {}).items():
        if not isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
            raise wrong_type(f"layers[{name!r}]", "a GeoDataFrame", layer)
        if layer.crs is None or not _same_crs(CRS.from_user_input(layer.crs), crs):
            got = "no CRS" if layer.crs is None else _crs_name(CRS.from_user_input(layer.crs))
            raise CRSError(
                f"CRS mismatch: layer {name!r} is in {got} but assets are in {_crs_name(crs)}. "
                f"Project it with layer.to_crs(assets.crs)."
            )


def _check_run(chunk_size: int, progress: Any) -> None:
    """Refuse a ``chunk_size`` that is not a positive integer and a ``progress`` not callable."""
    if not (isinstance(chunk_size, Integral) and chunk_size >= 1):
        raise ValidationError(
            "The 'chunk_size' parameter of context_features must be an integer >= 1. "
            f"Got {chunk_size!r} instead."
        )
    if progress is not None and not callable(progress):
        raise wrong_type("progress", "a callable progress(done, total) or None", progress)


def _n_jobs(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, int | np.integer):
        raise wrong_type("n_jobs", "an integer or None", n_jobs)
    if n_jobs < 0:
        import os

        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return max(1, int(n_jobs))


def _firm_index(firms: gpd.GeoDataFrame | FirmIndex, crs: CRS, firms_coords: str) -> FirmIndex:
    if isinstance(firms, FirmIndex):
        if not _same_crs(firms.crs, crs):
            raise CRSError(
                f"CRS mismatch: the firm index is in {_crs_name(firms.crs)} but assets are in "
                f"{_crs_name(crs)}. Build it with FirmIndex.build(firms, assets.crs)."
            )
        return firms
    return FirmIndex.build(firms, crs, firms_coords=firms_coords)


@dataclass(frozen=True)
class _Setup:
    ids: pd.Index
    geoms: np.ndarray
    crs: CRS
    index: FirmIndex
    labels: _Labels
    spec: _Spec
    params: dict[str, Any]
    same_ids: bool  # ids equal the given context's index, in order (geometries not checked)


def _setup(
    assets: gpd.GeoDataFrame,
    firms: gpd.GeoDataFrame | FirmIndex,
    radii_m: Sequence[float],
    layers: Mapping[str, gpd.GeoDataFrame] | None,
    industries: Sequence[str] | None,
    level: str,
    kernel_bandwidth_m: float,
    conflicts: ConflictsLike,
    firms_coords: str,
    known: pd.Index | None = None,
) -> _Setup:
    spec = _make_spec(radii_m, kernel_bandwidth_m, conflicts, layers, level)
    ids, geoms, crs, same_ids = _check_assets(assets, known)
    _check_layers(layers, crs)
    index = _firm_index(firms, crs, firms_coords)
    labels = _labels(index.categories, industries, level, _conflict_codes(spec.rules))
    params = {
        "radii_m": [float(r) for r in spec.radii],
        "industries": list(labels.codes[: labels.n_out]),
        "level": level,
        "kernel_bandwidth_m": spec.bandwidth,
        "layers": list(spec.layer_names),
        "conflicts": spec.rules[["source", "sensitive", "min_distance_m"]].to_dict("records"),
        "firms_coords": firms_coords,
        "crs": crs.to_string(),
    }
    return _Setup(ids, geoms, crs, index, labels, spec, params, same_ids)
