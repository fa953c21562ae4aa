"""Declaring a command once, and turning the declaration into methods.

A command is declared as a class attribute of a *table* (``Commands`` in ``table.py``)::

    has_key = command(standard.cmd_has_key, outage=False, reads=key("key"), django=True)

The declaration carries what every consumer needs: the command function, its docstring,
what ``IGNORE_EXCEPTIONS`` returns in an outage, which arguments hold the keys it reads
and writes, and whether it is part of Django's cache API. Classes that *use* the
commands inherit the table and name a :data:`Materializer`; when such a class is
created, each declaration it inherits becomes a real method with the command's own
signature (made once, at import: no ``*args`` wrapper at call time). The sync and async
clients run the command (``drivers``); the ``Cache`` facade and the Django backends
forward to their client. A method written by hand in a class wins over the declaration.

For type checkers a declaration is a descriptor: on a sync class it reads as
``Callable[P, R]``, on an :class:`AsyncSide` class as ``Callable[P, Coroutine[..., R]]``.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from textwrap import indent
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Generic, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from .ops import Logic, Step

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class AsyncSide:
    """Marks a class whose commands are coroutines (for type checkers and materializers)."""


# -- what a command touches ---------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """The argument ``param`` of a command holds keys: ``kind`` says how.

    ``"one"``: a key; ``"many"``: an iterable of keys (or the ``*args``); ``"mapping"``:
    the keys of a mapping; ``"pattern"``: a glob of keys; ``"all"``: every key of the
    cache (``param`` unused).
    """

    param: str
    kind: str = "one"

    def of(self, arguments: Mapping[str, Any]) -> list[Any]:
        """The keys named by this argument in a call's bound ``arguments``."""
        if self.kind == "all":
            return []
        value = arguments.get(self.param)
        if value is None:
            return []
        if self.kind in ("one", "pattern"):
            return [value]
        return list(value)


def key(param: str) -> Keys:
    return Keys(param, "one")


def keys(param: str) -> Keys:
    return Keys(param, "many")


def mapping(param: str) -> Keys:
    return Keys(param, "mapping")


def pattern(param: str) -> Keys:
    return Keys(param, "pattern")


EVERY_KEY = Keys("", "all")


@dataclass(frozen=True)
class Argument:
    """An outage result taken from the call's argument ``name`` (called when ``call`` and
    callable: ``get_or_set``'s default)."""

    name: str
    call: bool = False


def _tuple(value: Keys | tuple[Keys, ...]) -> tuple[Keys, ...]:
    return value if isinstance(value, tuple) else (value,)


# -- the declaration ------------------------------------------------------------------------


class Command(Generic[P, R]):
    """The declaration of one command (see the module docstring)."""

    iterator: ClassVar[bool] = False

    def __init__(
        self,
        logic: Callable[..., Any],
        *,
        outage: Any = None,
        reads: Keys | tuple[Keys, ...] = (),
        writes: Keys | tuple[Keys, ...] = (),
        django: bool = False,
        inherit: bool = False,
    ) -> None:
        self.logic = logic
        self.name = logic.__name__.removeprefix("cmd_")
        self.outage = outage
        self.reads = _tuple(reads)
        self.writes = _tuple(writes)
        self.django = django
        self.doc = inspect.getdoc(logic) or ""
        self._inherit = inherit
        self.signature = inspect.signature(logic)

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        if self._inherit:
            base = next(
                (c.__dict__[name] for c in owner.__mro__[1:] if isinstance(c.__dict__.get(name), Command)),
                None,
            )
            if base is None:
                raise TypeError(f"{owner.__qualname__}.{name} is a variant of no declared command")
            self.outage, self.reads, self.writes, self.django = (
                base.outage,
                base.reads,
                base.writes,
                base.django,
            )
            self.doc = self.doc or base.doc

    @property
    def parameters(self) -> list[inspect.Parameter]:
        """The method's parameters: the command function's, without the client."""
        return list(self.signature.parameters.values())[1:]

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A call's arguments by name (defaults applied), as the method received them."""
        bound = self.signature.bind(None, *args, **kwargs)
        bound.apply_defaults()
        return dict(list(bound.arguments.items())[1:])

    def keys_read(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
        """The keys (as given, not yet made) a call reads."""
        arguments = self.bind(args, kwargs)
        return [k for spec in self.reads for k in spec.of(arguments)]

    def keys_written(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
        """The keys (as given, not yet made) a call writes."""
        arguments = self.bind(args, kwargs)
        return [k for spec in self.writes for k in spec.of(arguments)]

    def outage_result(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        """What the command returns under ``IGNORE_EXCEPTIONS`` while the server is down."""
        outage = self.outage
        if isinstance(outage, Argument):
            value = self.bind(args, kwargs).get(outage.name)
            return value() if outage.call and callable(value) else value
        return outage() if isinstance(outage, type) else outage

    def __repr__(self) -> str:
        return f"<command {self.name}>"

    if TYPE_CHECKING:

        @overload
        def __get__(self, obj: None, owner: Any) -> Command[P, R]: ...
        @overload
        def __get__(self, obj: AsyncSide, owner: Any) -> Callable[P, Coroutine[Any, Any, R]]: ...
        @overload
        def __get__(self, obj: object, owner: Any) -> Callable[P, R]: ...
        def __get__(self, obj: Any, owner: Any) -> Any: ...


class IterCommand(Command[P, T]):
    """The declaration of a command that returns an iterator of ``T``."""

    iterator = True

    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def __get__(self, obj: None, owner: Any) -> IterCommand[P, T]: ...
        @overload
        def __get__(self, obj: AsyncSide, owner: Any) -> Callable[P, AsyncIterator[T]]: ...
        @overload
        def __get__(self, obj: object, owner: Any) -> Callable[P, Iterator[T]]: ...
        def __get__(self, obj: Any, owner: Any) -> Any: ...


def command(
    logic: Callable[Concatenate[Any, P], Step[R]],
    *,
    outage: Any = None,
    reads: Keys | tuple[Keys, ...] = (),
    writes: Keys | tuple[Keys, ...] = (),
    django: bool = False,
) -> Command[P, R]:
    """Declare a command run by ``logic(client, ...)``; see the module docstring."""
    return Command(logic, outage=outage, reads=reads, writes=writes, django=django)


def iterator(
    logic: Callable[Concatenate[Any, P], Logic[None]],
    item: type[T],
    *,
    reads: Keys | tuple[Keys, ...] = (),
    django: bool = False,
) -> IterCommand[P, T]:
    """Declare a command whose generator emits the ``item``\\ s the caller iterates over."""
    return IterCommand(logic, reads=reads, django=django)


def variant(logic: Callable[Concatenate[Any, P], Step[R]]) -> Command[P, R]:
    """Another implementation of the command declared under the same name in a base table
    (herd, sharded, cluster): same metadata, same signature."""
    return Command(logic, inherit=True)


def iterator_variant(logic: Callable[Concatenate[Any, P], Logic[None]], item: type[T]) -> IterCommand[P, T]:
    """:func:`variant` for an iterator command."""
    return IterCommand(logic, inherit=True)


# -- turning declarations into methods -------------------------------------------------------

#: Makes a class's methods for one declaration: ``(name, function)`` pairs.
Materializer = Callable[[Command[Any, Any]], list[tuple[str, Callable[..., Any]]]]


class CommandTable:
    """Base of the tables of declarations and of the classes that use them.

    A subclass whose ``MATERIALIZE`` is set gets a method for each declaration it
    inherits, unless it (or a class before the declaration in its MRO) defines one.
    """

    MATERIALIZE: ClassVar[Materializer | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        make = cls.MATERIALIZE
        if make is None:
            return
        for declaration in declared(cls).values():
            for name, made in _made(make, declaration):
                if _needs_method(cls, name, declaration):
                    # Already another class's: this one gets a copy of its own.
                    function = dict(make(declaration))[name] if made in _INSTALLED else made
                    _INSTALLED.add(function)
                    function.__qualname__ = f"{cls.__qualname__}.{name}"
                    function.__module__ = cls.__module__
                    setattr(cls, name, function)


_MADE: dict[tuple[Materializer, Command[Any, Any]], list[tuple[str, Callable[..., Any]]]] = {}
#: The made methods set on a class (each is named for that class).
_INSTALLED: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def _made(make: Materializer, declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """``make(declaration)``, made once: most classes inherit every method already made
    for a declaration (the near and tolerant subclasses, the Django clients), and making
    one (rewriting a command, compiling it) is the larger part of the import time."""
    key = (make, declaration)
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = make(declaration)
    return made


def declared(cls: type[Any]) -> dict[str, Command[Any, Any]]:
    """Every command declared for ``cls``: the most derived declaration of each name."""
    found: dict[str, Command[Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Command):
                found[name] = value
    return found


def _needs_method(cls: type[Any], name: str, declaration: Command[Any, Any]) -> bool:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            value = klass.__dict__[name]
            if isinstance(value, Command):
                return True
            made_for = getattr(value, "__command__", None)
            if made_for is not None:
                return made_for is not declaration
            return not issubclass(klass, CommandTable)
    return True


# -- method source ----------------------------------------------------------------------------


_GENERATED = itertools.count(1)


def _define(source: str, scope: dict[str, Any], filename: str) -> None:
    """Run generated ``source`` in ``scope``; its text is kept in ``linecache`` under
    ``filename``, so that tracebacks and debuggers show the generated lines."""
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    exec(compile(source, filename, "exec"), scope)


def define_function(
    name: str, source: str, scope: dict[str, Any], *, kind: str = "def"
) -> Callable[..., Any]:
    """The function ``name`` that ``source`` defines, its globals ``scope`` (see :func:`_define`)."""
    _define(source, scope, f"<valkey_cache {kind} {name} #{next(_GENERATED)}>")
    function: Callable[..., Any] = scope[name]
    return function


def make_function(
    declaration: Command[Any, Any],
    name: str,
    body: str,
    namespace: dict[str, Any],
    *,
    is_async: bool = False,
    drop: tuple[str, ...] = (),
    passthrough: bool = False,
) -> Callable[..., Any]:
    r"""A function ``name(self, <the command's parameters>)`` running ``body``.

    In ``body``, ``{args}`` is replaced by the call arguments forwarding every parameter
    (``drop``\ ped ones excluded) and ``{fixed}`` by ``client`` when the command takes
    django-valkey's ``client`` argument, else ``None``. With ``passthrough`` the function
    takes ``*args, **kwargs`` and forwards them as given (what a test's mock of the
    client then sees), showing the command's signature to ``help()`` and ``inspect``.
    """
    if passthrough:
        params, args, defaults = "*args, **kwargs", "*args, **kwargs", dict[str, Any]()
    else:
        params, args, defaults = parameter_source(declaration.parameters, drop)
    has_client = any(p.name == "client" for p in declaration.parameters) and "client" not in drop
    kind = "async def" if is_async else "def"
    code = indent(body.format(args=args, fixed="client" if has_client else "None"), "    ")
    source = f"{kind} {name}(self{', ' if params else ''}{params}):\n{code}\n"
    function = define_function(name, source, {**namespace, **defaults}, kind=kind)
    describe(function, declaration, drop)
    if passthrough:
        shown = [p for p in declaration.signature.parameters.values() if p.name not in drop]
        self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        function.__signature__ = declaration.signature.replace(  # type: ignore[attr-defined]
            parameters=[self_param, *shown[1:]], return_annotation=function.__annotations__.get("return")
        )
    return function


def describe(
    function: Callable[..., Any], declaration: Command[Any, Any], drop: tuple[str, ...] = ()
) -> Callable[..., Any]:
    """``function``, made for ``declaration``, with its docstring, annotations and
    ``__command__`` (what marks it as made for that declaration)."""
    function.__doc__ = declaration.doc or None
    function.__command__ = declaration  # type: ignore[attr-defined]
    function.__annotations__ = _annotations(declaration, drop)
    return function


def parameter_source(
    parameters: list[inspect.Parameter], drop: tuple[str, ...]
) -> tuple[str, str, dict[str, Any]]:
    """The source of a generated function's parameters (without the first), of the call
    forwarding them, and the defaults the first refers to (``_default_<name>``)."""
    params: list[str] = []
    args: list[str] = []
    defaults: dict[str, Any] = {}
    by_keyword = False
    star = False
    for p in parameters:
        if p.name in drop:
            by_keyword = True
            continue
        text = p.name
        if p.default is not inspect.Parameter.empty:
            defaults[f"_default_{p.name}"] = p.default
            text += f"=_default_{p.name}"
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            params.append(f"*{p.name}")
            args.append(f"*{p.name}")
            star = True
        elif p.kind is inspect.Parameter.VAR_KEYWORD:
            params.append(f"**{p.name}")
            args.append(f"**{p.name}")
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            if not star:
                params.append("*")
                star = True
            params.append(text)
            args.append(f"{p.name}={p.name}")
        else:
            params.append(text)
            args.append(f"{p.name}={p.name}" if by_keyword else p.name)
    return ", ".join(params), ", ".join(args), defaults


_RESULT_WRAPPERS = ("Logic[", "Step[", "Op[")


def _annotations(declaration: Command[Any, Any], drop: tuple[str, ...]) -> dict[str, Any]:
    annotations = {
        k: v for k, v in getattr(declaration.logic, "__annotations__", {}).items() if k not in drop
    }
    first = next(iter(declaration.signature.parameters))
    annotations.pop(first, None)
    result = annotations.get("return")
    if isinstance(result, str):
        for wrapper in _RESULT_WRAPPERS:
            if result.startswith(wrapper) and result.endswith("]"):
                result = result[len(wrapper) : -1]
                break
        annotations["return"] = result
    return annotations


def forwarding(attr: str, is_async: bool) -> Materializer:
    """Methods that call the command on ``self.<attr>`` (the facade's, a backend's client),
    with the arguments as given."""

    def make(declaration: Command[Any, Any]) -> list[tuple[str, Callable[..., Any]]]:
        name = declaration.name
        if is_async and not declaration.iterator:
            body = f"return await self.{attr}.{name}({{args}})"
        else:
            body = f"return self.{attr}.{name}({{args}})"
        function = make_function(
            declaration, name, body, {}, is_async=is_async and not declaration.iterator, passthrough=True
        )
        return [(name, function)]

    return make


__all__ = [
    "EVERY_KEY",
    "Argument",
    "AsyncSide",
    "Command",
    "CommandTable",
    "IterCommand",
    "Keys",
    "Materializer",
    "command",
    "declared",
    "define_function",
    "forwarding",
    "iterator",
    "iterator_variant",
    "key",
    "keys",
    "make_function",
    "mapping",
    "pattern",
    "variant",
]
