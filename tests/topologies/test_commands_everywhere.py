"""The core's whole command set on every topology (herd, shard, sentinel, cluster), sync and async."""

from __future__ import annotations

import pytest
from command_suite import *  # noqa: F403

pytestmark = pytest.mark.anyio
