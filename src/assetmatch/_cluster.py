"""Running work on a dask.distributed cluster: connecting, sharing data once, collecting results.

Used by the dask engine of :func:`assetmatch.context_features` and by the batch work
(:func:`assetmatch.match_many`, :func:`assetmatch.rank_many`). The caller gives either a
``client`` or the address of a ``scheduler`` (``"tcp://host:8786"``); data every task needs is
sent to every worker once (``client.scatter(..., broadcast=True)``), and tasks carry only their
own chunk and references to that shared data. Data marked :class:`Kept` (the batch calls' feature
table) stays on the cluster after the call, under its content token: a later call on the same
client with the same content reuses it instead of sending it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._errors import AssetmatchError, ClusterError

logger = logging.getLogger(__name__)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the dask extra is in the test extra
        raise ClusterError(
            "running on dask needs dask.distributed and dask-geopandas: "
            'pip install "assetmatch[dask]"'
        ) from exc
    return distributed


@contextmanager
def connect(client: Any, scheduler: str | None, *, current: bool) -> Iterator[Any]:
    """The client to run on: ``client``, a new one for ``scheduler`` (closed after), or none.

    Parameters
    ----------
    client, scheduler
        What the user gave (at most one of them).
    current
        Without either, use the current client (``distributed.get_client()``) if there is one.

    Yields
    ------
    distributed.Client or None
        ``None`` when there is no cluster to run on.

    Raises
    ------
    ClusterError
        Both given, the scheduler unreachable, or dask.distributed missing.
    """
    if client is None and scheduler is None and not current:
        yield None
        return
    distributed = _distributed()
    if client is not None and scheduler is not None:
        raise ClusterError("give either client= or scheduler=, not both")
    own = None
    if scheduler is not None:
        try:
            own = client = distributed.Client(scheduler)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from exc
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            client = None
    try:
        yield client
    finally:
        if own is not None:
            own.close()


@dataclass(frozen=True)
class Kept:
    """Shared data that stays on the cluster for later calls on the same client.

    One value is kept per ``slot`` and client: a later call whose ``token`` is the same reuses
    the scattered copy (no transfer, and each worker keeps what it memoised on it); a
    different token replaces it (the old copy is released as soon as no running call uses it).
    The copy lives as long as the client (closing the client frees it).

    Attributes
    ----------
    slot
        What the value is (``"batch.features"``).
    token
        Its content token: equal tokens must mean equal content.
    value
        The value itself (sent only when the cluster does not hold this token).
    """

    slot: str
    token: str
    value: Any


#: Attribute of a ``Client`` holding its kept data: ``{slot: (token, future)}``. On the client
#: itself, so that the futures (which refer to their client) die with it.
_KEPT_ATTR = "_assetmatch_kept"
_KEPT_LOCK = threading.Lock()


def _kept_future(client: Any, item: Kept) -> Any:
    """The future of ``item.value`` on every worker: the kept one if its token matches."""
    with _KEPT_LOCK:
        kept: dict[str, tuple[str, Any]] | None = getattr(client, _KEPT_ATTR, None)
        if kept is None:
            kept = {}
            setattr(client, _KEPT_ATTR, kept)
        held = kept.pop(item.slot, None)
        if held is not None and held[0] == item.token and held[1].status == "finished":
            kept[item.slot] = held
            logger.info("%s: reusing the copy already on the cluster", item.slot)
            return held[1]
        future = _broadcast(client, item.value)
        kept[item.slot] = (item.token, future)
        logger.info(
            "%s: sent to every worker (%s)",
            item.slot,
            "first time on this client" if held is None else "its content changed",
        )
        return future


def _broadcast(client: Any, value: Any) -> Any:
    """The future of ``value`` on every worker. Wrapped in a list: ``scatter`` would take a
    dict (the reference layers) for names and values, and fail on an empty one."""
    return client.scatter([value], broadcast=True, hash=False)[0]


def forget_kept(client: Any) -> None:
    """Release everything :class:`Kept` on ``client``'s cluster (it is sent again when needed)."""
    with _KEPT_LOCK:
        if getattr(client, _KEPT_ATTR, None) is not None:
            setattr(client, _KEPT_ATTR, {})


def threads(client: Any) -> int:
    """Worker threads of the cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def run_chunks(
    client: Any,
    func: Callable[..., Any],
    chunks: Iterable[Any],
    shared: Mapping[str, Any],
    collect: Callable[[int, Any], None],
    *,
    scatter_chunks: bool = False,
    what: str = "tasks",
) -> None:
    """Run ``func(chunk, **shared)`` for every chunk on the cluster; ``collect(i, result)``.

    ``shared`` is sent to every worker once (a :class:`Kept` value only if the cluster does not
    hold it already from an earlier call; the task receives its ``value``); each chunk travels
    inside its task, or, with ``scatter_chunks``, is scattered once to one worker (for large
    chunks) and the task runs there. Chunks may come from a generator: each is submitted as
    soon as it is made, so the workers start while the caller still prepares the next ones.
    Results are collected as they complete (in any order) and released at once. A failing task
    cancels the others; its :class:`~assetmatch.AssetmatchError` is raised as it was, a lost
    worker or connection as a :class:`~assetmatch.ClusterError`.
    """
    distributed = _distributed()
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    futures: dict[Any, int] = {}
    try:
        refs = {
            name: _kept_future(client, value)
            if isinstance(value, Kept)
            else _broadcast(client, value)
            for name, value in shared.items()
        }
        pending = distributed.as_completed()
        for i, chunk in enumerate(chunks):
            item = client.scatter(chunk, hash=False) if scatter_chunks else chunk
            future = client.submit(func, item, **refs, pure=False)
            futures[future] = i
            pending.add(future)
        logger.info("%s: %d task(s) on %d worker thread(s)", what, len(futures), threads(client))
        for future in pending:
            i = futures.pop(future)
            collect(i, future.result())
            future.release()
    except AssetmatchError:
        raise
    except (OSError, TimeoutError, FutureCancelledError, KilledWorker) as exc:
        raise ClusterError(f"{what} on the dask cluster failed: {exc!r}") from exc
    finally:
        if futures:
            client.cancel(list(futures))
