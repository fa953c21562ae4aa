"""The fenced code blocks of the Markdown docs, with the hidden directives before them.

A directive is an HTML comment (invisible once rendered) right before a fence:

* ``<!-- skip: reason -->``: the block is not run (the test is skipped with the reason);
* ``<!-- run: django -->`` / ``<!-- run: core -->``: where a Python block runs (by
  default, in the Django worker when it or its page's name mentions Django, else in
  the test process);
* ``<!-- expect: error -->``: the block must raise; the ``text`` block after it holds the
  exception as ``ExceptionName: message``;
* ``<!-- expect: log -->``: the ``text`` block after it holds the records of level
  WARNING and above the block logged, one ``LEVEL logger: message`` per line;
* ``<!-- test-setup`` + lines of Python + ``-->``: hidden code run before the block.

Any other comment right before a fence is an error (a misspelt directive).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
PYTHON = frozenset({"python", "py"})
#: Languages that are not examples: diagrams, server output, plain text.
NOT_EXAMPLES = frozenset({"", "text"})


@dataclass
class Block:
    """One fenced block of a document."""

    path: str
    line: int
    lang: str
    code: str
    skip: str | None = None
    runner: str | None = None
    expect: str | None = None
    setup: list[str] = field(default_factory=list)
    expected_text: str | None = None
    unknown: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def documents() -> list[Path]:
    """README.md and every page of docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def parse(path: Path) -> list[Block]:
    """The fenced blocks of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix()
    blocks: list[Block] = []
    pending: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = FENCE.match(line)
        if match:
            indent, fence = len(match["indent"]), match["fence"]
            body: list[str] = []
            i += 1
            while i < len(lines) and not re.match(
                rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]
            ):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
                i += 1
            block = Block(name, i - len(body), match["info"].strip().split(" ")[0].lower(), "\n".join(body))
            _apply(block, pending)
            blocks.append(block)
            pending = []
            i += 1
            continue
        stripped = line.strip()
        if stripped.startswith("<!--"):
            start = i
            while "-->" not in lines[i]:
                i += 1
            text = "\n".join(lines[start : i + 1]).strip()
            pending.append(text.removeprefix("<!--").removesuffix("-->"))
        elif stripped:
            pending = []
        i += 1
    _attach_expected(blocks)
    return blocks


def _apply(block: Block, comments: list[str]) -> None:
    for comment in comments:
        head, _, rest = comment.partition("\n")
        head = head.strip()
        if head == "test-setup":
            block.setup.append(rest)
        elif head.startswith("skip:"):
            block.skip = head.removeprefix("skip:").strip()
        elif head.startswith("run:"):
            block.runner = head.removeprefix("run:").strip()
        elif head.startswith("expect:"):
            block.expect = head.removeprefix("expect:").strip()
        else:
            block.unknown.append(head)


def _attach_expected(blocks: list[Block]) -> None:
    for block, following in itertools.pairwise(blocks):
        if block.expect and following.lang == "text":
            block.expected_text = following.code.strip()
