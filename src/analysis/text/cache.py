"""Disk cache of token lists, so unchanged texts are not tokenized again.

:class:`TokenCache` is one SQLite file holding, per tokenizer key
(:attr:`analysis.text.tokenize.Tokenizer.cache_key`: its word lists, places, jieba
version and code) and SHA-256 of a text, that text's token list. A hit is
exactly what tokenizing the text again would return, because anything that
could change the tokens changes the key. Several processes may read and write
the same cache (SQLite locking); rows are only ever added.

Location (:meth:`TokenCache.default`): the folder named by the environment
variable :data:`CACHE_ENV` (``ANALYSIS_TOKEN_CACHE``; ``off`` disables the cache),
else the user cache folder (``~/.cache/analysis`` on Linux). Delete the folder
to reclaim the space (about 45 MB per 100,000 distinct texts and tokenizer).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_cache_dir

CACHE_ENV = "ANALYSIS_TOKEN_CACHE"
FILE_NAME = "tokens.sqlite3"
#: Digests per SQL query (below SQLite's limit of host parameters).
BATCH = 500
_SEPARATOR = "\n"  # tokens never contain whitespace


def text_digest(text: str) -> bytes:
    """SHA-256 of ``text`` (UTF-8), the per-text part of a cache key."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class TokenCache:
    """Token lists by (tokenizer key, text digest) in ``folder/tokens.sqlite3``.

    A cache that cannot be opened or written (read-only folder, damaged file)
    warns once and then behaves as empty: it speeds things up, never decides results.
    """

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / FILE_NAME
        self._broken = False

    @classmethod
    def default(cls) -> TokenCache | None:
        """The cache in ``$ANALYSIS_TOKEN_CACHE`` or the user cache folder; None when set to ``off``."""
        folder = os.environ.get(CACHE_ENV, "").strip()
        if folder.lower() in {"off", "0", "no", "false"}:
            return None
        return cls(folder or user_cache_dir("analysis", appauthor=False))

    def __repr__(self) -> str:
        return f"TokenCache({str(self.path.parent)!r})"

    @contextmanager
    def _session(self) -> Iterator[sqlite3.Connection]:
        """An open connection (table created if needed), committed and closed on exit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS tokens (tokenizer TEXT, digest BLOB, tokens TEXT, "
                "PRIMARY KEY (tokenizer, digest)) WITHOUT ROWID"
            )
            with connection:
                yield connection
        finally:
            connection.close()

    def _failed(self, exc: Exception) -> None:
        if not self._broken:
            warnings.warn(f"token cache {self.path} not used ({exc}); tokenizing without it", stacklevel=3)
        self._broken = True

    def get_many(self, key: str, digests: Sequence[bytes]) -> dict[bytes, list[str]]:
        """The cached token lists of ``digests`` under tokenizer ``key`` (missing ones left out)."""
        found: dict[bytes, list[str]] = {}
        if self._broken or not digests:
            return found
        try:
            with self._session() as connection:
                for start in range(0, len(digests), BATCH):
                    chunk = digests[start : start + BATCH]
                    rows = connection.execute(
                        f"SELECT digest, tokens FROM tokens WHERE tokenizer = ? AND digest IN ({','.join('?' * len(chunk))})",
                        [key, *chunk],
                    )
                    for digest, tokens in rows:
                        found[digest] = [sys.intern(t) for t in tokens.split(_SEPARATOR)] if tokens else []
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
        return found

    def put_many(self, key: str, tokens: Mapping[bytes, list[str]]) -> None:
        """Store token lists by digest under tokenizer ``key`` (existing rows are kept)."""
        if self._broken or not tokens:
            return
        try:
            with self._session() as connection:
                connection.executemany(
                    "INSERT OR IGNORE INTO tokens VALUES (?, ?, ?)",
                    ((key, digest, _SEPARATOR.join(t)) for digest, t in tokens.items()),
                )
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
