"""Token cache and worker processes: same tokens as tokenizing each text anew, whatever the path."""

from __future__ import annotations

import sqlite3
import warnings

import pytest

from analysis.text.cache import CACHE_ENV, TokenCache
from analysis.text.tokenize import Tokenizer


class CountingTokenizer(Tokenizer):
    """A tokenizer that records which texts it really tokenized."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def tokenize(self, text: str) -> list[str]:
        self.seen.append(text)
        return super().tokenize(text)


@pytest.fixture(scope="module")
def seed(corpus):
    """(seed item texts, their tokens from one tokenize call each)."""
    tokenizer = Tokenizer.for_documents(corpus.documents)
    texts = corpus.items.text.tolist()
    return texts, [tokenizer.tokenize(t) for t in texts]


def test_a_cache_hit_returns_identical_tokens_without_tokenizing(tmp_path, corpus, seed):
    texts, expected = seed
    cache = TokenCache(tmp_path)
    first = CountingTokenizer.for_documents(corpus.documents)
    assert first.tokenize_many(texts, cache=cache) == expected
    assert sorted(first.seen) == sorted(set(texts))
    with sqlite3.connect(cache.path) as db:
        assert db.execute("SELECT COUNT(*) FROM tokens_v2").fetchone() == (len(set(texts)),)
    again = CountingTokenizer.for_documents(corpus.documents)
    assert again.tokenize_many(texts, cache=cache) == expected
    assert again.seen == []


def test_a_changed_text_is_tokenized_again(tmp_path, corpus, seed):
    texts, expected = seed
    cache = TokenCache(tmp_path)
    Tokenizer.for_documents(corpus.documents).tokenize_many(texts, cache=cache)
    changed = texts.copy()
    changed[7] = texts[7] + "加快发展中医药服务。"
    tokenizer = CountingTokenizer.for_documents(corpus.documents)
    tokens = tokenizer.tokenize_many(changed, cache=cache)
    assert tokenizer.seen == [changed[7]]
    assert tokens[7] == Tokenizer.for_documents(corpus.documents).tokenize(changed[7]) != expected[7]
    assert tokens[:7] + tokens[8:] == expected[:7] + expected[8:]


def test_another_vocabulary_does_not_share_cached_tokens(tmp_path, corpus, seed):
    texts, _ = seed
    cache = TokenCache(tmp_path)
    Tokenizer.for_documents(corpus.documents).tokenize_many(texts[:5], cache=cache)
    other = CountingTokenizer(remove_places=False)
    assert other.cache_key != Tokenizer.for_documents(corpus.documents).cache_key
    assert other.tokenize_many(texts[:5], cache=cache) == [Tokenizer(remove_places=False).tokenize(t) for t in texts[:5]]
    assert len(other.seen) == 5
    assert "青岛" in [t for tokens in other.tokenize_many(["深化无烟青岛建设"], cache=cache) for t in tokens]


def test_worker_processes_give_the_serial_result_in_order(corpus, seed):
    texts, expected = seed
    doubled = texts + texts[::-1]  # repeats are tokenized once and returned as separate lists
    tokenizer = Tokenizer.for_documents(corpus.documents)
    parallel = tokenizer.tokenize_many(doubled, workers=2, cache=False)
    assert parallel == expected + expected[::-1] == tokenizer.tokenize_many(doubled, workers=1, cache=False)
    assert parallel[0] is not parallel[2 * len(texts) - 1]
    assert Tokenizer.for_documents(corpus.documents).tokenize_many(texts, workers=3, cache=False) == expected


def test_default_cache_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert TokenCache.default().path == tmp_path / "here" / "tokens.sqlite3"
    monkeypatch.setenv(CACHE_ENV, "off")
    assert TokenCache.default() is None
    assert Tokenizer().tokenize_many(["推进慢病管理"]) == [["慢性病"]]
    assert not (tmp_path / "here").exists()


def test_an_unusable_cache_warns_and_is_skipped(tmp_path, seed, corpus):
    texts, expected = seed
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = TokenCache(blocker)  # its database would live inside a file
    with pytest.warns(UserWarning, match="token cache"):
        tokens = Tokenizer.for_documents(corpus.documents).tokenize_many(texts[:3], cache=cache)
    assert tokens == expected[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Tokenizer.for_documents(corpus.documents).tokenize_many(texts[:3], cache=TokenCache(tmp_path / "fresh")) == expected[:3]


def test_a_junk_cache_file_is_moved_aside_and_rebuilt(tmp_path, seed, corpus):
    texts, expected = seed
    (tmp_path / "tokens.sqlite3").write_bytes(b"this is not a database" * 100)
    cache = TokenCache(tmp_path)
    with pytest.warns(UserWarning, match="damaged.*rebuilt"):
        assert Tokenizer.for_documents(corpus.documents).tokenize_many(texts[:5], cache=cache) == expected[:5]
    assert (tmp_path / "tokens.sqlite3.broken").read_bytes().startswith(b"this is not a database")
    with sqlite3.connect(cache.path) as db:  # the new cache holds the rows again, and is used next time
        assert db.execute("SELECT COUNT(*) FROM tokens_v2").fetchone() == (len(set(texts[:5])),)
    again = CountingTokenizer.for_documents(corpus.documents)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert again.tokenize_many(texts[:5], cache=cache) == expected[:5]
    assert again.seen == []


def test_altered_cache_rows_are_detected_dropped_and_tokenized_again(tmp_path, seed, corpus):
    texts, expected = seed
    cache = TokenCache(tmp_path)
    Tokenizer.for_documents(corpus.documents).tokenize_many(texts[:5], cache=cache)
    with sqlite3.connect(cache.path) as db:  # someone edits one row's tokens by hand
        digest = db.execute("SELECT digest FROM tokens_v2 LIMIT 1").fetchone()[0]
        db.execute("UPDATE tokens_v2 SET tokens = ? WHERE digest = ?", ("篡改\n结果", digest))
    tokenizer = CountingTokenizer.for_documents(corpus.documents)
    with pytest.warns(UserWarning, match="1 corrupt row"):
        assert tokenizer.tokenize_many(texts[:5], cache=cache) == expected[:5]
    assert len(tokenizer.seen) == 1
    again = CountingTokenizer.for_documents(corpus.documents)
    assert again.tokenize_many(texts[:5], cache=cache) == expected[:5] and again.seen == []
