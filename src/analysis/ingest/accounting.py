"""Text accounting: where every character of a plan's text went.

The parser (:mod:`analysis.ingest.segment`) records one :class:`Accounting` per
text: for each line a kind (:data:`KINDS`) and, for item lines, how many of its
leading characters are numbering or heading and how many trailing ones are a
responsibility tail. From it come the per-kind character counts that
``documents.csv`` reports (``coverage``, ``dropped_unclassified``) and, on demand,
exact character spans ``(start, end, kind)`` that cover the text without gap or
overlap. Counts are of visible characters (whitespace is kind ``whitespace``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from analysis.ingest.layouts import ARTEFACT_RE, WHITESPACE_RE

#: Kinds of the plan body: coverage is ``item`` characters ÷ characters of these kinds.
BODY_KINDS = ("item", "heading", "numbering", "tail", "lead_in", "table_header", "unclassified")
#: Named reasons for text that is not part of the plan body.
DROP_KINDS = ("title", "preamble", "metadata", "signature", "artefact", "appendix", "web_tail")
KINDS = BODY_KINDS + DROP_KINDS + ("whitespace",)


@dataclass
class Accounting:
    """Per-line kinds of one text (lines as ``str.splitlines(keepends=True)`` cuts them).

    ``prefix[i]`` leading visible characters of line ``i`` are of kind
    ``prefix_kind[i]`` (numbering or heading), ``suffix[i]`` trailing ones are a
    responsibility tail, the rest are ``kinds[i]``.
    """

    lines: list[str]
    visible: list[int]
    kinds: list[str] = field(default_factory=list)
    prefix: list[int] = field(default_factory=list)
    prefix_kind: list[str] = field(default_factory=list)
    suffix: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.lines)
        self.kinds = self.kinds or ["unclassified"] * n  # a line the parser never marked is lost text
        self.prefix = self.prefix or [0] * n
        self.prefix_kind = self.prefix_kind or ["numbering"] * n
        self.suffix = self.suffix or [0] * n

    def mark(self, index: int, kind: str, prefix: int = 0, prefix_kind: str = "numbering") -> None:
        """Line ``index`` is of ``kind``, its first ``prefix`` visible characters of ``prefix_kind``."""
        self.kinds[index] = kind if self.visible[index] else "whitespace"
        self.prefix[index] = prefix
        self.prefix_kind[index] = prefix_kind

    def mark_tail(self, lines: list[int], n_chars: int) -> None:
        """The last ``n_chars`` visible characters of ``lines`` (an item's lines, in order) are its tail."""
        for index in reversed(lines):
            if n_chars <= 0:
                return
            take = min(n_chars, self.visible[index] - self.prefix[index] - self.suffix[index])
            self.suffix[index] += take
            n_chars -= take

    def counts(self) -> Counter:
        """Characters per kind; ``whitespace`` makes the total equal to the text length."""
        counts: Counter = Counter()
        for line, n, kind, prefix, prefix_kind, suffix in zip(
            self.lines, self.visible, self.kinds, self.prefix, self.prefix_kind, self.suffix
        ):
            if not n:
                continue
            if "[bookmark" in line:
                counts["artefact"] += sum(_visible(m.group()) for m in ARTEFACT_RE.finditer(line))
            counts[kind] += n - prefix - suffix
            counts[prefix_kind] += prefix
            counts["tail"] += suffix
        counts["whitespace"] = sum(map(len, self.lines)) - sum(counts.values())
        return counts

    def coverage(self) -> tuple[float, int, int]:
        """``(item characters ÷ body characters, body characters, unclassified characters)``."""
        counts = self.counts()
        body = sum(counts[k] for k in BODY_KINDS)
        return (counts["item"] / body if body else 0.0), body, counts["unclassified"]

    def lines_of(self, kind: str) -> list[str]:
        """The non-blank lines (stripped) whose main kind is ``kind``, in order."""
        return [line.strip() for line, k, n in zip(self.lines, self.kinds, self.visible) if k == kind and n]

    def spans(self) -> list[tuple[int, int, str]]:
        """``(start, end, kind)`` runs covering the text exactly once, in order."""
        spans: list[tuple[int, int, str]] = []
        offset = 0
        for line, kind, prefix, prefix_kind, suffix, n in zip(
            self.lines, self.kinds, self.prefix, self.prefix_kind, self.suffix, self.visible
        ):
            artefact = [False] * len(line)
            for match in ARTEFACT_RE.finditer(line):
                artefact[match.start() : match.end()] = [True] * (match.end() - match.start())
            seen = 0
            for k, ch in enumerate(line):
                if WHITESPACE_RE.fullmatch(ch):
                    char_kind = "whitespace"
                elif artefact[k]:
                    char_kind = "artefact"
                else:
                    char_kind = prefix_kind if seen < prefix else "tail" if seen >= n - suffix else kind
                    seen += 1
                if spans and spans[-1][2] == char_kind and spans[-1][1] == offset + k:
                    spans[-1] = (spans[-1][0], offset + k + 1, char_kind)
                else:
                    spans.append((offset + k, offset + k + 1, char_kind))
            offset += len(line)
        return spans


def _visible(text: str) -> int:
    return len(WHITESPACE_RE.sub("", text))
