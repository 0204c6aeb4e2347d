"""Disk cache of token lists, so unchanged texts are not tokenized again.

:class:`TokenCache` is one SQLite file holding, per tokenizer key
(:attr:`analysis.text.tokenize.Tokenizer.cache_key`: its word lists, places, jieba
version and code) and SHA-256 of a text, that text's token list. A hit is
exactly what tokenizing the text again would return, because anything that
could change the tokens changes the key. Several processes may read and write
the same cache (SQLite locking); rows are only ever added.

Integrity: every row carries a checksum of its key and tokens; a row whose
checksum does not match (altered by hand, damaged on disk) is treated as
missing, deleted and tokenized again. A file that is not a readable SQLite
database is moved aside (``tokens.sqlite3.broken``) and the cache starts afresh.

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
_TABLE = "tokens_v2"  # rows with a checksum (the unchecked ``tokens`` table of older versions is ignored)
#: SQLite's words for a file that is not (or no longer) a database
_DAMAGED = ("file is not a database", "malformed", "file is encrypted")


def text_digest(text: str) -> bytes:
    """SHA-256 of ``text`` (UTF-8), the per-text part of a cache key."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def row_check(key: str, digest: bytes, tokens: str) -> bytes:
    """The checksum stored with a row: 8 bytes of SHA-256 over its key, text digest and tokens."""
    return hashlib.sha256(key.encode("utf-8") + b"\0" + digest + b"\0" + tokens.encode("utf-8")).digest()[:8]


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
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (tokenizer TEXT, digest BLOB, tokens TEXT, checksum BLOB, "
                "PRIMARY KEY (tokenizer, digest)) WITHOUT ROWID"
            )
            with connection:
                yield connection
        finally:
            connection.close()

    def _failed(self, exc: Exception) -> None:
        """A damaged database file is moved aside once (the next call starts afresh); other failures disable the cache."""
        if isinstance(exc, sqlite3.DatabaseError) and any(word in str(exc) for word in _DAMAGED) and self.path.is_file():
            aside = self.path.with_name(FILE_NAME + ".broken")
            try:
                os.replace(self.path, aside)
                for extra in ("-wal", "-shm"):
                    Path(f"{self.path}{extra}").unlink(missing_ok=True)
                warnings.warn(f"token cache {self.path} was damaged ({exc}); moved to {aside.name} and rebuilt", stacklevel=3)
                return
            except OSError as move_error:
                exc = move_error
        if not self._broken:
            warnings.warn(f"token cache {self.path} not used ({exc}); tokenizing without it", stacklevel=3)
        self._broken = True

    def get_many(self, key: str, digests: Sequence[bytes]) -> dict[bytes, list[str]]:
        """The cached token lists of ``digests`` under tokenizer ``key`` (missing or corrupt ones left out).

        Rows whose checksum does not match are deleted, so they are tokenized and stored again.
        """
        found: dict[bytes, list[str]] = {}
        if self._broken or not digests:
            return found
        try:
            with self._session() as connection:
                corrupt = []
                for start in range(0, len(digests), BATCH):
                    chunk = digests[start : start + BATCH]
                    rows = connection.execute(
                        f"SELECT digest, tokens, checksum FROM {_TABLE} WHERE tokenizer = ? "
                        f"AND digest IN ({','.join('?' * len(chunk))})",
                        [key, *chunk],
                    )
                    for digest, tokens, checksum in rows:
                        if not isinstance(tokens, str) or checksum != row_check(key, digest, tokens):
                            corrupt.append(digest)
                            continue
                        found[digest] = [sys.intern(t) for t in tokens.split(_SEPARATOR)] if tokens else []
                if corrupt:
                    connection.executemany(f"DELETE FROM {_TABLE} WHERE tokenizer = ? AND digest = ?", ((key, d) for d in corrupt))
                    warnings.warn(f"token cache {self.path}: {len(corrupt)} corrupt row(s) dropped; those texts are tokenized again",
                                  stacklevel=2)  # fmt: skip
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
        return found

    def put_many(self, key: str, tokens: Mapping[bytes, list[str]]) -> None:
        """Store token lists by digest under tokenizer ``key`` (existing rows are kept)."""
        if self._broken or not tokens:
            return
        try:
            with self._session() as connection:
                joined = ((digest, _SEPARATOR.join(t)) for digest, t in tokens.items())
                connection.executemany(
                    f"INSERT OR IGNORE INTO {_TABLE} VALUES (?, ?, ?, ?)",
                    ((key, digest, text, row_check(key, digest, text)) for digest, text in joined),
                )
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
