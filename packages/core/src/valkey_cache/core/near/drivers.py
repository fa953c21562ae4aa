"""Running the served commands (get, get_many, has_key, get_or_set) through the local layer.

A served command's logic is the client's own (the herd client's included); only its
``get``, ``mget`` and ``exists`` reads are answered here: from a valid local copy, or by
a fill (``fills``), which keeps the copy unless an invalidation cancelled the read
meanwhile. Every other op is performed as usual; a write op drops the copy of the key it
is routed by, so a command reads what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from types import GeneratorType
from typing import TYPE_CHECKING, Any, NamedTuple

from ..commands.declare import Command, make_function
from ..commands.ops import PIPELINE, Op, Step
from ..commands.protocol import MISS
from ..drivers import asynchronous, sync
from ..exceptions import ConnectionInterrupted
from .fills import abort, afetch, amiss_one, begin, fetch, filled, keys_of, lookups, miss_one

if TYPE_CHECKING:
    from .cache import NearCache

SERVED_READS = frozenset({"get", "mget", "exists"})


def _local(near: NearCache, op: Op[Any], method: str) -> tuple[list[Any], list[Any], list[int]]:
    """The keys of a served read, the raw values found here, and the indexes of those not."""
    if method == "get":
        entry = near.store.lookup(op.args[0])
        if entry is None:
            return [op.args[0]], [None], [0]
        return [op.args[0]], [entry.raw], []
    nkeys = _served_keys(op)
    raws, missing = lookups(near, nkeys)
    return nkeys, raws, missing


def _finished(op: Op[Any], method: str, raws: list[Any]) -> Any:
    reply = _reply(method, raws)
    finish = op.finish
    return reply if finish is None else finish(reply, *op.finish_args)


def _reply(method: str, raws: list[Any]) -> Any:
    if method == "get":
        return raws[0]
    if method == "exists":
        return 0 if raws[0] is None else 1
    return raws


def _served(op: Op[Any]) -> str | None:
    """Which served read ``op`` is (``get``, ``mget``, ``exists``), or None."""
    method = op.method
    if method in SERVED_READS:
        return method
    if method == "execute_command" and op.args and op.args[0] == "MGET":
        return "mget"
    return None


def _served_keys(op: Op[Any]) -> list[Any]:
    if op.method == "execute_command":
        return list(op.args[1:])
    return list(op.args[0]) if op.method == "mget" else [op.args[0]]


def _served_ops(op: Op[Any]) -> list[tuple[Op[Any], str]] | None:
    """The served reads ``op`` is made of: itself, or every op of a pipeline of them (a
    ``get_many`` over several slots or batches); None when it is anything else."""
    method = _served(op)
    if method is not None:
        return None if op.write else [(op, method)]
    if op.method != PIPELINE or op.args[1] or op.write:
        return None
    subs = []
    for sub in op.args[0]:
        method = _served(sub)
        if method is None:
            return None
        subs.append((sub, method))
    return subs


class _Plan(NamedTuple):
    """The served reads of an op: their keys and raw values found here, and what to fetch."""

    found: list[tuple[list[Any], list[Any], list[int]]]
    groups: list[list[Any]]
    keys: list[Any]


def _plan(near: NearCache, subs: list[tuple[Op[Any], str]]) -> _Plan:
    found = [_local(near, sub, method) for sub, method in subs]
    groups = [[nkeys[i] for i in missing] for nkeys, _, missing in found if missing]
    return _Plan(found, groups, keys_of(groups) if groups else [])


def _answer(op: Op[Any], subs: list[tuple[Op[Any], str]], plan: _Plan, raws: list[Any]) -> Any:
    """The op's result, once the raw values fetched (``raws``, in plan order) are in place."""
    fetched = iter(raws)
    for _, values, missing in plan.found:
        for i in missing:
            values[i] = next(fetched)
    if subs[0][0] is op:
        return _finished(op, subs[0][1], plan.found[0][1])
    # As a pipeline's: the raw replies, each op's own finish not applied.
    replies = [_reply(method, values) for (_, method), (_, values, _) in zip(subs, plan.found)]
    return replies if op.finish is None else op.finish(replies, *op.finish_args)


# -- blocking -------------------------------------------------------------------------------


def perform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.perform`, answering served reads locally."""
    near: NearCache = client.near_cache
    subs = None if fixed is not None else _served_ops(op)
    if subs is None:
        try:
            return sync.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    plan = _plan(near, subs)
    if not plan.groups:
        return _answer(op, subs, plan, [])
    markers = begin(near, plan.keys)
    try:
        replies = fetch(client, near, plan.groups, markers, op.route)
    except BaseException:
        abort(near, plan.keys, markers)
        raise
    return _answer(op, subs, plan, filled(near, plan.keys, markers, replies))


def run(step: Step[Any], client: Any, fixed: Any = None) -> Any:
    """:func:`valkey_cache.core.drivers.sync.run` with :func:`perform` for each op."""
    return sync.run(step, client, fixed, how=perform)


# -- asyncio --------------------------------------------------------------------------------


async def aperform(client: Any, op: Op[Any], fixed: Any = None) -> Any:
    """:func:`perform` on an asyncio client."""
    near: NearCache = client.near_cache
    subs = None if fixed is not None else _served_ops(op)
    if subs is None:
        try:
            return await asynchronous.perform(client, op, fixed)
        finally:
            if op.write and isinstance(op.route, str):
                near.drop(op.route)
    plan = _plan(near, subs)
    if not plan.groups:
        return _answer(op, subs, plan, [])
    markers = begin(near, plan.keys)
    try:
        replies = await afetch(client, near, plan.groups, markers, op.route)
    except BaseException:
        abort(near, plan.keys, markers)
        raise
    return _answer(op, subs, plan, filled(near, plan.keys, markers, replies))


async def arun(step: Step[Any], client: Any, fixed: Any = None) -> Any:
    """:func:`run` on an asyncio client."""
    return await asynchronous.run(step, client, fixed, how=aperform)


def served_method(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """The near client's method for a served command."""
    if is_async:
        body = (
            "step = _logic(self, {args})\n"
            "if type(step) is not _Generator:\n"
            "    return await _perform(self, step, {fixed})\n"
            "return await _run(step, self, {fixed})"
        )
        scope: dict[str, Any] = {
            "_logic": declaration.logic,
            "_Generator": GeneratorType,
            "_perform": aperform,
            "_run": arun,
        }
    else:
        body = (
            "step = _logic(self, {args})\n"
            "if type(step) is not _Generator:\n"
            "    return _perform(self, step, {fixed})\n"
            "return _run(step, self, {fixed})"
        )
        scope = {"_logic": declaration.logic, "_Generator": GeneratorType, "_perform": perform, "_run": run}
    return make_function(declaration, declaration.name, body, scope, is_async=is_async)


def plain_get(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """``get`` for a client running the standard ``get``: a hit costs a key, a lookup and
    a decode (no op made)."""
    if is_async:

        async def aget(
            self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None
        ) -> Any:
            if client is not None:
                return await asynchronous.run(declaration.logic(self, key, default, version), self, client)
            nkey = self.server_key(key, version=version)
            near = self.near_cache
            entry = near.store.lookup(nkey)
            raw = entry.raw if entry is not None else await amiss_one(self, near, nkey)
            return self.value_or_default(raw, nkey, default)

        function: Callable[..., Any] = aget
    else:

        def get(self: Any, key: Any, default: Any = None, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return sync.run(declaration.logic(self, key, default, version), self, client)
            nkey = self.server_key(key, version=version)
            near = self.near_cache
            entry = near.store.lookup(nkey)
            raw = entry.raw if entry is not None else miss_one(self, near, nkey)
            return self.value_or_default(raw, nkey, default)

        function = get
    function.__name__ = "get"
    function.__doc__ = declaration.doc or None
    function.__command__ = declaration  # type: ignore[attr-defined]
    return function


class _Spread(NamedTuple):
    """A ``get_many`` on several servers after the local lookups: what is still to fetch."""

    originals: list[Any]
    nkeys: list[Any]
    raws: list[Any]
    missing: list[int]
    #: ``(route, batches, their keys joined, markers)`` per server.
    sends: list[tuple[Any, list[list[Any]], list[Any], list[Any]]]


def _spread(client: Any, near: NearCache, keys: Any, version: Any) -> _Spread:
    originals = list(keys)
    nkeys = client.make_keys(originals, version) if originals else []
    raws, missing = lookups(near, nkeys)
    sends = []
    if missing:
        for route, batches in client.key_groups([nkeys[i] for i in missing]):
            joined = keys_of(batches)
            sends.append((route, batches, joined, begin(near, joined)))
    return _Spread(originals, nkeys, raws, missing, sends)


def _spread_result(client: Any, near: NearCache, spread: _Spread, replies: list[Any]) -> dict[Any, Any]:
    """Fill from each server's flat replies (None: unreachable, tolerated) and decode."""
    fetched: dict[Any, Any] = {}
    for (_, _, joined, markers), flat in zip(spread.sends, replies):
        if flat is not None:
            fetched.update(zip(joined, filled(near, joined, markers, flat)))
    raws, nkeys = spread.raws, spread.nkeys
    for i in spread.missing:
        raws[i] = fetched.get(nkeys[i])
    found = {}
    for original, nkey, raw in zip(spread.originals, nkeys, raws):
        if raw is not None:
            value = client.decode_or_miss(raw, nkey)
            if value is not MISS:
                found[original] = value
    return found


def _spread_failed(client: Any, near: NearCache, spread: _Spread, exc: BaseException, failed: int) -> None:
    """After server ``failed`` (an index of ``sends``) failed: cancel its fills, and
    unless ``exc`` is an outage IGNORE_EXCEPTIONS lets ``get_many`` go on without,
    every fill (none is made before the last reply), and raise."""
    _, _, joined, markers = spread.sends[failed]
    abort(near, joined, markers)
    try:
        if not isinstance(exc, ConnectionInterrupted):
            raise exc
        client.tolerate(exc, "get_many")
    except BaseException:
        for _, _, joined, markers in spread.sends:
            abort(near, joined, markers)
        raise


def spread_get_many(declaration: Command[Any, Any], is_async: bool) -> Callable[..., Any]:
    """``get_many`` for a client whose keys live on several servers (shards, cluster
    slots) running the standard fan-out: the keys found here are answered at once, the
    others fetched as the fan-out would (one round trip per server, one MGET per batch),
    without an op per batch. An unreachable server loses only its keys under
    ``IGNORE_EXCEPTIONS``, as there."""
    if is_async:

        async def aget_many(self: Any, keys: Any, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return await asynchronous.run(declaration.logic(self, keys, version, client), self, client)
            near = self.near_cache
            spread = _spread(self, near, keys, version)
            replies: list[Any] = []
            for route, batches, _, markers in spread.sends:
                try:
                    replies.append(await afetch(self, near, batches, markers, route))
                except BaseException as exc:
                    _spread_failed(self, near, spread, exc, len(replies))
                    replies.append(None)
            return _spread_result(self, near, spread, replies)

        function: Callable[..., Any] = aget_many
    else:

        def get_many(self: Any, keys: Any, version: Any = None, client: Any = None) -> Any:
            if client is not None:
                return sync.run(declaration.logic(self, keys, version, client), self, client)
            near = self.near_cache
            spread = _spread(self, near, keys, version)
            replies: list[Any] = []
            for route, batches, _, markers in spread.sends:
                try:
                    replies.append(fetch(self, near, batches, markers, route))
                except BaseException as exc:
                    _spread_failed(self, near, spread, exc, len(replies))
                    replies.append(None)
            return _spread_result(self, near, spread, replies)

        function = get_many
    function.__name__ = "get_many"
    function.__doc__ = declaration.doc or None
    function.__command__ = declaration  # type: ignore[attr-defined]
    return function
