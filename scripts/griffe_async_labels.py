"""A griffe extension for the docs: label coroutine methods found by inspection ``async``.

The command methods of ``AsyncCache`` and the async Django backends are made at class
creation, so mkdocstrings reads them by inspection (``force_inspection``), which does
not mark coroutine functions; this does, so the API pages show them as ``async``.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

import griffe


class AsyncLabels(griffe.Extension):
    """Adds the ``async`` label to inspected coroutine functions."""

    def on_function_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        func: griffe.Function,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        if isinstance(node, griffe.ObjectNode) and inspect.iscoroutinefunction(node.obj):
            func.labels.add("async")
