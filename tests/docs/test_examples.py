"""Every code example of README.md and docs/ runs against the session's embedded servers.

Python blocks run in order, one namespace per document: in this process, or in a Django
worker process when they use Django (``markdown_blocks`` lists the directives). Blocks in
other languages (shell, ini) must say why they are skipped. Files they write go to a
temporary directory (``docs_workdir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markdown_blocks import NOT_EXAMPLES, PYTHON, Block, documents, parse
from run_example import run

from valkey_cache.core.embedded import EmbeddedServer

BLOCKS = [block for path in documents() for block in parse(path) if block.lang not in NOT_EXAMPLES]
_NAMESPACES: dict[str, dict[str, Any]] = {}


def _runner(block: Block) -> str:
    if block.runner:
        return block.runner
    mentions_django = "django" in block.code.lower() or "CACHES" in block.code
    return "django" if mentions_django or "django" in block.path else "core"


def _check_expected(block: Block, produced: str | None) -> None:
    if block.expect is None:
        return
    assert block.expected_text is not None, f"{block.id}: `expect` needs a ```text block after the example"
    assert produced == block.expected_text


@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_example(
    block: Block,
    request: pytest.FixtureRequest,
    valkey_server: EmbeddedServer,
    docs_ports: dict[int, int],
    docs_workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not block.unknown, f"{block.id}: unknown directive(s) {block.unknown}"
    if block.expect not in (None, "error", "log"):
        pytest.fail(f"{block.id}: unknown expect: {block.expect!r} (error or log)")
    if block.skip:
        pytest.skip(block.skip)
    assert block.lang in PYTHON, (
        f"{block.id}: a {block.lang!r} block cannot run: mark it with <!-- skip: why --> before the fence"
    )
    if _runner(block) == "django":
        worker = request.getfixturevalue("django_worker")
        answer = worker.run(
            doc=block.path,
            code=block.code,
            setup=block.setup,
            line=block.line,
            expect=block.expect,
            ports=docs_ports,
        )
        if not answer["ok"]:
            pytest.fail(f"{block.id} failed in the Django worker:\n{answer['error']}", pytrace=False)
        _check_expected(block, answer["text"])
        return
    monkeypatch.chdir(docs_workdir)
    if block.path not in _NAMESPACES:
        valkey_server.flushall()
    namespace = _NAMESPACES.setdefault(block.path, {"__name__": "docs_example"})
    for code in block.setup:
        run(code, namespace, filename=block.path, line=block.line, ports=docs_ports, expect=None)
    produced = run(
        block.code, namespace, filename=block.path, line=block.line, ports=docs_ports, expect=block.expect
    )
    _check_expected(block, produced)
