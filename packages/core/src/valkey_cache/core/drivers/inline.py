"""A command method with its one call written in: no :class:`Op` on the usual path.

Most commands end in ``return read(method, route, *args, **kwargs).then(finish, ...)``
(or ``write``). Run through a driver, that builds an ``Op``, then takes it apart again:
about 0.45 µs a call, a third of what the core added over raw valkey-py. Here the
method is the command function's own code, with each such ``return`` rewritten, once,
when the class is made:

- when the client takes the stock path to its one connection (one location, no routing
  of its own: ``_inline_ok``, copied to each instance as ``_inline``) and no ``client``
  argument is given, the arguments are evaluated once, the valkey-py method is called on
  the connection, and the finish functions are applied to the reply: what
  :data:`.sync.PERFORM` does with the op;
- a call that raises gets the same op, built then from the same values, and goes to
  ``after_error`` as in :data:`.sync.PERFORM` (retries, ``on_error`` recovery, outages);
- otherwise the op is built and run by the driver, as before.

Key making is written in too: ``c.server_key(key[, version[, prefix]])`` becomes
:data:`_KEY`, the stock ``server_key``'s usual case (a ``str`` key, the default key
function, the owner's prefix and version or a version given), which calls
``server_key`` for any other.

A ``return helper(c, ...)`` of a function of the same module is rewritten the same way,
into a call of that helper's rewritten copy. Any other ``return`` (a generator, another
step) is run by the driver. A command function that is a generator, a closure, or that
has no such ``return`` is not rewritten: its method is the driver's template. The
rewritten source is kept in ``linecache``, so tracebacks and ``inspect.getsource`` show
it. It runs with a copy of its module's names, taken when the class is made (patch the
method, not a module-level helper, to change it afterwards).
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Callable
from threading import get_ident
from typing import Any

from ..commands import ops
from ..commands.declare import Command, define_function, describe, parameter_source
from ..keys import default_key_func

#: The ``client`` argument of django-valkey (a fixed connection), when a command has one.
_FIXED = "client"
#: The names the rewritten code uses (a function using one is not rewritten).
_OWN_NAMES = frozenset(
    {
        "_conn",
        "_clients",
        "_reply",
        "_exc",
        "_run",
        "_after_error",
        "_fixed",
        "_last",
        "_thread",
        "_kh",
        "_ko",
        "_default_key_func",
    }
)
#: ``c.server_key(key, version)`` written in: the head (``"prefix:version:"``) the stock
#: ``server_key`` keeps in ``_key_head`` while it matches the owner's prefix and version,
#: plus the key. A client whose ``server_key`` is another (a 0.4 subclass's ``make_key``)
#: keeps no head, so its every key is made by the call. ``BaseClient.server_key`` is the
#: rule; a test checks that both make the same keys.
_KEY = (
    "(_kh[2] + {key} if {version}type({key}) is str and (_kh := {c}._key_head)[2] and _kh[0] is "
    "(_ko := {c}._backend).key_prefix and _kh[1] is _ko.version and _ko.key_func is "
    "_default_key_func else {other})"
)
#: The same with a version given: the owner's prefix, that version and the key, for a
#: client that keeps a head (so its ``server_key`` is the stock one).
_VERSIONED_KEY = (
    "(f'{{_ko.key_prefix}}:{{{version}}}:{{{key}}}' if {test}{version} is not None and type({key}) is str "
    "and {c}._key_head[2] and (_ko := {c}._backend).key_func is _default_key_func else {call})"
)
#: How deep ``return helper(...)`` is followed.
_DEPTH = 3


def _simple(node: ast.expr) -> bool:
    """Whether ``node`` can be evaluated later, or twice, with the same result: a name, a
    constant, an attribute of one (``c.value_or_default``), or a test, choice, index or
    sum of them."""
    if isinstance(node, ast.IfExp):
        return _simple(node.test) and _simple(node.body) and _simple(node.orelse)
    if isinstance(node, ast.Compare):
        return _simple(node.left) and all(_simple(c) for c in node.comparators)
    if isinstance(node, ast.BoolOp):
        return all(_simple(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return _simple(node.operand)
    if isinstance(node, ast.BinOp):
        return _simple(node.left) and _simple(node.right)
    if isinstance(node, ast.Subscript):
        return _simple(node.value) and _simple(node.slice)
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name | ast.Constant)


def _plain_function(value: Any, globals_: dict[str, Any]) -> bool:
    """Whether ``value`` is a module-level function of the module of ``globals_`` that
    could be rewritten (not a generator, not a closure)."""
    return (
        inspect.isfunction(value)
        and value.__globals__ is globals_
        and not inspect.isgeneratorfunction(value)
        and not value.__code__.co_freevars
        and not any(_own_name(n) for n in (*value.__code__.co_varnames, *value.__code__.co_names))
    )


def _own_name(name: str) -> bool:
    """Whether ``name`` is one the rewritten code uses (``_reply``, ``_a0``, ``_k1``...)."""
    return name in _OWN_NAMES or (name[:2] in ("_a", "_k") and name[2:].isdigit())


class _Function:
    """One function being rewritten: its client's name, the ``fixed`` expression, and
    the names of its ``*args`` and ``**kwargs`` (reusable as they are)."""

    def __init__(self, node: ast.FunctionDef, fixed: str, is_async: bool, names: dict[str, Any]) -> None:
        self.client = node.args.args[0].arg
        self.fixed, self.is_async, self.names = fixed, is_async, names
        self.reusable = {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
        self.wait = "await " if is_async else ""

    def stable(self, node: ast.expr, wrap: str) -> str:
        """The source of a ``*`` or ``**`` value, made a ``wrap`` unless it is already a
        value that can be unpacked twice."""
        text = ast.unparse(node)
        literal = isinstance(node, ast.List | ast.ListComp | ast.Tuple | ast.Dict | ast.DictComp)
        if literal or (isinstance(node, ast.Name) and node.id in self.reusable):
            return text
        return f"{wrap}({text})"


class _Shape:
    """A ``read|write(...).then(...).on_error(...)`` expression that can be written in."""

    def __init__(self, expr: ast.expr, names: dict[str, Any]) -> None:
        self.valid = False
        chain: list[ast.Call] = []
        node = expr
        while (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("then", "on_error")
        ):
            chain.append(node)
            node = node.func.value
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return
        if names.get(node.func.id) not in (ops.read, ops.write) or len(node.args) < 2:
            return
        method, route = node.args[0], node.args[1]
        if isinstance(method, ast.Starred) or isinstance(route, ast.Starred):
            return
        if not (_simple(method) and _simple(route)):
            return
        for link in chain:
            if link.keywords or not all(_simple(a) for a in link.args):
                return
        self.expr, self.call = expr, node
        self.finishes = [c for c in reversed(chain) if c.func.attr == "then"]  # type: ignore[attr-defined]
        self.valid = True

    def block(self, fn: _Function) -> str:
        """The statements replacing ``return <expr>``."""
        call, wait, client, fixed = self.call, fn.wait, fn.client, fn.fixed
        lines: list[str] = []
        passed: list[str] = []
        rebuilt_args: list[ast.expr] = []
        for i, arg in enumerate(call.args[2:]):
            if isinstance(arg, ast.Starred):
                lines.append(f"_a{i} = {fn.stable(arg.value, 'tuple')}")
                passed.append(f"*_a{i}")
                rebuilt_args.append(ast.Starred(ast.Name(f"_a{i}"), ast.Load()))
            else:
                lines.append(f"_a{i} = {ast.unparse(arg)}")
                passed.append(f"_a{i}")
                rebuilt_args.append(ast.Name(f"_a{i}"))
        rebuilt_keywords = []
        for i, kw in enumerate(call.keywords):
            if kw.arg is None:
                lines.append(f"_k{i} = {fn.stable(kw.value, 'dict')}")
                passed.append(f"**_k{i}")
            else:
                lines.append(f"_k{i} = {ast.unparse(kw.value)}")
                passed.append(f"{kw.arg}=_k{i}")
            rebuilt_keywords.append(ast.keyword(kw.arg, ast.Name(f"_k{i}")))
        method = call.args[0]
        if isinstance(method, ast.Constant) and isinstance(method.value, str) and method.value.isidentifier():
            target = f"_conn.{method.value}"
        else:
            target = f"getattr(_conn, {ast.unparse(method)})"
        # The op as the command builds it, from the values already computed.
        rebuilt = copy.deepcopy(self.expr)
        inner: Any = rebuilt
        while not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)):
            inner = inner.func.value
        inner.args[2:] = rebuilt_args
        inner.keywords = rebuilt_keywords
        result = "_reply"
        for then in self.finishes:
            finish = ast.unparse(then.args[0])
            if not isinstance(then.args[0], ast.Name | ast.Attribute):
                finish = f"({finish})"
            result = f"{finish}({', '.join([result, *map(ast.unparse, then.args[1:])])})"
        if fn.is_async:
            # LoopLocal.get's first test, written in: the loop answered last, when it is
            # running in this thread, is the running loop.
            loops = f"{client}._clients_by_loop"
            clients = (
                f"_last[1] if (_last := {loops}._last) is not None and _last[0]._thread_id == _thread()"
                f" else {loops}.get()"
            )
        else:
            clients = f"{client}._clients"
        body = "\n".join(
            [
                *lines,
                "try:",
                f"    _reply = {wait}{target}({', '.join(passed)})",
                "except Exception as _exc:",
                f"    return {wait}_after_error({client}, {ast.unparse(rebuilt)}, {fixed}, _conn, _exc)",
                f"return {result}",
            ]
        )
        return (
            f"if {fixed} is None and {client}._inline:\n"
            f"    _clients = {clients}\n"
            "    if len(_clients) == 1 and (_conn := _clients[0]) is not None:\n"
            f"{textwrap.indent(body, '        ')}\n"
            f"return {wait}_run({ast.unparse(self.expr)}, {client}, {fixed})"
        )


class _Keys(ast.NodeTransformer):
    """Writes :data:`_KEY` in for each ``<client>.server_key(key[, version[, prefix]])``
    whose key can be evaluated twice and whose version and prefix are names or absent."""

    def __init__(self, client: str) -> None:
        self.client = client

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr == "server_key"
            and isinstance(func.value, ast.Name)
            and func.value.id == self.client
            and not node.keywords
            and 1 <= len(node.args) <= 3
            and not isinstance(node.args[0], ast.Starred)
            and _simple(node.args[0])
            and all(isinstance(a, ast.Name) for a in node.args[1:])
        ):
            return node
        key, call = ast.unparse(node.args[0]), ast.unparse(node)
        # A prefix given: the stock rule's case only when it is None.
        no_prefix = f"{node.args[2].id} is None and " if len(node.args) == 3 else ""  # type: ignore[attr-defined]
        if len(node.args) == 1:
            text = _KEY.format(key=key, version="", c=self.client, other=call)
        else:
            version = node.args[1].id  # type: ignore[attr-defined]
            given = _VERSIONED_KEY.format(key=key, test=no_prefix, version=version, c=self.client, call=call)
            first = f"{version} is None and {no_prefix}"
            text = _KEY.format(key=key, version=first, c=self.client, other=given)
        return ast.parse(text, mode="eval").body


class _Rewriter(ast.NodeTransformer):
    """Rewrites the ``return`` statements of one function body (not of nested ones)."""

    def __init__(self, fn: _Function, helpers: _Helpers, depth: int) -> None:
        self.fn, self.helpers, self.depth = fn, helpers, depth
        self.inlined = 0
        self.unsupported = False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.unsupported = True  # a nested function: its returns are not the command's
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]

    def visit_Return(self, node: ast.Return) -> Any:
        fn = self.fn
        if node.value is None:
            self.unsupported = True
            return node
        shape = _Shape(node.value, fn.names)
        if shape.valid:
            self.inlined += 1
            return ast.parse(shape.block(fn)).body
        helper = self._helper_call(node.value)
        if helper is not None:
            self.inlined += 1
            return ast.parse(f"return {fn.wait}{helper}").body
        text = f"return {fn.wait}_run({ast.unparse(node.value)}, {fn.client}, {fn.fixed})"
        return ast.parse(text).body

    def _helper_call(self, value: ast.expr) -> str | None:
        """``return helper(c, ...)``: the call of the helper's rewritten copy, or None."""
        if not (
            self.depth < _DEPTH
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.args
            and isinstance(value.args[0], ast.Name)
            and value.args[0].id == self.fn.client
        ):
            return None
        target = self.fn.names.get(value.func.id)
        if target is None or not _plain_function(target, self.fn.names):
            return None
        name = self.helpers.make(target, self.fn.is_async, self.depth + 1)
        if name is None:
            return None
        call = copy.deepcopy(value)
        call.func = ast.Name(name)
        call.keywords.append(ast.keyword("_fixed", ast.parse(self.fn.fixed, mode="eval").body))
        return ast.unparse(call)


class _Helpers:
    """The rewritten copies of the helpers one method calls, by name, for its scope."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope
        self.made: dict[str, Callable[..., Any]] = {}

    def make(self, function: Callable[..., Any], is_async: bool, depth: int) -> str | None:
        name = f"_inline_{function.__name__}"
        if name in self.made:
            return name
        signature = inspect.signature(function)
        parameters = list(signature.parameters.values())
        fixed = inspect.Parameter("_fixed", inspect.Parameter.KEYWORD_ONLY)
        at = next((i for i, p in enumerate(parameters) if p.kind is p.VAR_KEYWORD), len(parameters))
        parameters.insert(at, fixed)
        made = _rewrite(function, "_fixed", is_async, depth, self, parameters[1:], name)
        if made is None:
            return None
        self.made[name] = made
        return name


def _rewrite(
    function: Callable[..., Any],
    fixed: str,
    is_async: bool,
    depth: int,
    helpers: _Helpers,
    parameters: list[inspect.Parameter],
    name: str,
) -> Callable[..., Any] | None:
    """``function`` rewritten as ``name(self, <parameters>)``, or None when it cannot be."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef) or not node.args.args:
        return None
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    fn = _Function(node, fixed, is_async, function.__globals__)
    rewriter = _Rewriter(fn, helpers, depth)
    module = ast.Module(body=[], type_ignores=[])
    keys = _Keys(fn.client)
    for statement in body:
        done = rewriter.visit(keys.visit(statement))
        module.body.extend(done if isinstance(done, list) else [done])
    if rewriter.unsupported or not rewriter.inlined:
        return None
    params, _, defaults = parameter_source(parameters, ())
    kind = "async def" if is_async else "def"
    # The first parameter is ``self``, bound to the function's own name for its client
    # (``c``), so that its lines read as they are written there.
    rebind = "" if fn.client == "self" else f"{fn.client} = self\n"
    source = f"{kind} {name}(self{', ' if params else ''}{params}):\n" + textwrap.indent(
        rebind + ast.unparse(module), "    "
    )
    namespace = {
        **function.__globals__,
        **helpers.scope,
        **helpers.made,
        **defaults,
        "_thread": get_ident,
        "_default_key_func": default_key_func,
    }
    return define_function(name, source + "\n", namespace, kind=f"{kind} (inlined)")


def inlined(
    declaration: Command[Any, Any], is_async: bool, scope: dict[str, Any]
) -> Callable[..., Any] | None:
    """The client method for ``declaration`` with its calls written in, or None when its
    command function cannot be rewritten (the caller then uses the driver's template).
    ``scope`` holds the driver's ``_run`` and ``_after_error``."""
    logic = declaration.logic
    if declaration.iterator or not _plain_function(logic, getattr(logic, "__globals__", {})):
        return None
    fixed = _FIXED if any(p.name == _FIXED for p in declaration.parameters) else "None"
    method = _rewrite(logic, fixed, is_async, 0, _Helpers(scope), declaration.parameters, declaration.name)
    return None if method is None else describe(method, declaration)
