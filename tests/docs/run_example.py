"""Running one example's code: in this process (core) or in the Django worker, alike.

``run(code, namespace, ...)`` executes the code (top-level ``await`` allowed) with the
documented ports swapped for the test servers', checks that each top-level expression
commented with a value (``cache.get("k")  # {'v': 1}``) gives that value, and returns
what the block's
``expect`` directive compares: the exception (``Name: message``) or the log records, written back
with the documented ports. A block assigning ``CACHES`` in the Django worker is also
checked as a settings fragment (``django_fragment``).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import io
import logging
import re
import tokenize
from collections.abc import Callable, Mapping
from typing import Any


def swap_ports(text: str, ports: Mapping[int, int]) -> str:
    """``127.0.0.1:DOC`` (or ``localhost:DOC``) becomes ``127.0.0.1:TEST`` for each pair."""
    for documented, actual in ports.items():
        text = re.sub(rf"\b(127\.0\.0\.1|localhost):{documented}\b", rf"\g<1>:{actual}", text)
    return text


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def run(
    code: str,
    namespace: dict[str, Any],
    *,
    filename: str,
    line: int,
    ports: Mapping[int, int],
    expect: str | None,
    after: Callable[[ast.Module, dict[str, Any]], None] | None = None,
) -> str | None:
    """Run ``code``; returns the text ``expect`` asks for (None without ``expect``)."""
    source = "\n" * line + swap_ports(code, ports)
    tree = ast.parse(source, filename)
    _check_commented_results(tree, source)
    namespace["__docs_result__"] = _expect_result
    compiled = compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        if compiled.co_flags & inspect.CO_COROUTINE:
            asyncio.run(eval(compiled, namespace))
        else:
            exec(compiled, namespace)
        if after is not None:
            after(tree, namespace)
    except Exception as exc:
        if expect != "error":
            raise
        name, message = type(exc).__name__, str(exc)
        # Some messages already start with their class name (Django's SystemCheckError).
        text = message if message.startswith(f"{name}: ") else f"{name}: {message}"
        return _unswap(text, ports)
    finally:
        root.removeHandler(handler)
    if expect == "error":
        raise AssertionError(f"{filename}:{line}: the example was expected to raise")
    if expect == "log":
        return _unswap("\n".join(handler.lines), ports)
    return None


def _comments(source: str) -> dict[int, str]:
    """``{line: comment text}`` of every ``# comment`` in ``source``."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found


def _shown_value(comment: str) -> str | None:
    """The literal a comment such as ``{'name': 'Ada'}: one MGET`` starts with, if any."""
    ends = {len(comment)}
    ends |= {i for i in range(len(comment)) if comment[i] in ":;," or comment[i:].startswith(" (")}
    for end in sorted(ends, reverse=True):
        try:
            ast.literal_eval(comment[:end])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return comment[:end]
    return None


def _check_commented_results(tree: ast.Module, source: str) -> None:
    """Turn each top-level ``expression  # value`` into a check that it gives ``value``.

    ``print(x)  # value`` checks ``x``. Comments that do not start with a Python literal
    (``# one round trip``) are prose and left alone.
    """
    comments = _comments(source)
    for index, node in enumerate(tree.body):
        if not isinstance(node, ast.Expr) or node.end_lineno not in comments:
            continue
        expected = _shown_value(comments[node.end_lineno])
        if expected is None:
            continue
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print":
            if len(value.args) != 1:
                continue
            value = value.args[0]
        call = ast.Call(
            func=ast.Name("__docs_result__", ast.Load()),
            args=[value, ast.parse(expected, mode="eval").body, ast.Constant(node.end_lineno)],
            keywords=[],
        )
        tree.body[index] = ast.copy_location(ast.Expr(ast.copy_location(call, node)), node)
    ast.fix_missing_locations(tree)


def _expect_result(actual: Any, expected: Any, line: int) -> None:
    if actual != expected:
        raise AssertionError(f"line {line}: the comment shows {expected!r}, the code gives {actual!r}")


def _unswap(text: str, ports: Mapping[int, int]) -> str:
    return swap_ports(text, {actual: documented for documented, actual in ports.items()})


def assigned_names(tree: ast.Module) -> list[str]:
    """The upper-case names a block assigns at top level (settings.py style)."""
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]
    return names
