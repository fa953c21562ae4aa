"""A pickle that runs code when loaded, for the tests that prove forged values never are.

``FORGED`` unpickles by calling ``_record``, which appends to ``EXECUTED``; a test that
imports ``no_execution`` (an autouse fixture) starts and ends with ``EXECUTED`` empty.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest

#: Calls made by unpickling a forged value; must stay empty wherever signing is on.
EXECUTED: list[str] = []


def _record(what: str) -> str:
    EXECUTED.append(what)
    return what


class Exploit:
    """Unpickling this calls ``_record``: stands for a payload that runs code."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_record, ("forged value was unpickled",))


FORGED = pickle.dumps(Exploit())


@pytest.fixture(autouse=True)
def no_execution() -> Iterator[None]:
    EXECUTED.clear()
    yield
    EXECUTED.clear()
