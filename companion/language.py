"""Small language models: characters and words to ids, a bigram baseline, a tiny GPT, e-mail text.

The Transformer pieces (:class:`TokenAndPositionEmbedding`, :class:`TransformerBlock`,
:func:`build_tiny_gpt`) are ordinary Keras layers, so a chapter can count their
parameters with ``count_params()`` or reuse them in a bigger model.
Defined in Part 4, "A tiny GPT" and "Classifying messages".
"""

from __future__ import annotations

import email
import email.policy
import functools
import heapq
import html
import itertools
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

__all__ = [
    "BOUNDARY",
    "GPT2_CONTEXT",
    "PAD",
    "BytePairEncoding",
    "CharVocabulary",
    "TokenAndPositionEmbedding",
    "TransformerBlock",
    "WordVocabulary",
    "bigram_cross_entropy",
    "bigram_nll",
    "bigram_table",
    "build_tiny_gpt",
    "bytes_to_unicode",
    "char_vocabulary",
    "encode_texts",
    "encode_words",
    "gpt2_encoding",
    "gpt2_pattern",
    "message_text",
    "model_nll",
    "pretokenize",
    "sample_words",
    "standardize",
    "train_bpe",
    "word_vocabulary",
]

PAD = 0  # id of the padding token: ignored by the loss
BOUNDARY = 1  # id of ".", which marks both the start and the end of a word


# --------------------------------------------------------------------------- characters
@dataclass(frozen=True)
class CharVocabulary:
    """Characters and their ids: 0 is padding, 1 is the boundary ``.``, then the letters."""

    chars: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, word: str) -> list[int]:
        """The ids of the characters of ``word`` (no boundary added)."""
        index = {char: i for i, char in enumerate(self.chars)}
        unknown = sorted({char for char in word if char not in index or index[char] < 2})
        if unknown:
            raise ValueError(f"word {word!r} has characters {unknown} outside the vocabulary.")
        return [index[char] for char in word]

    def decode(self, ids: Iterable[int]) -> str:
        """Characters for ``ids``, stopping at the first boundary and skipping padding."""
        chars = []
        for token in ids:
            token = int(token)
            if token == BOUNDARY:
                break
            if token != PAD:
                chars.append(self.chars[token])
        return "".join(chars)


def char_vocabulary(words: Iterable[str]) -> CharVocabulary:
    """The vocabulary of every character used in ``words`` (sorted), after padding and ``.``.

    Used in: Part 2, Likelihood: from losses to perplexity; Part 4, A tiny GPT;
    Fine-tuning with low-rank adapters.
    """
    if isinstance(words, str):
        raise TypeError("words must be a collection of strings, got a single str.")
    chars = sorted(set("".join(words)))
    if "." in chars:
        raise ValueError("words may not contain '.', which the vocabulary uses as the boundary.")
    return CharVocabulary(("", ".", *chars))


def encode_words(
    words: Sequence[str], vocab: CharVocabulary, context: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets for training, each ``(len(words), context)`` int32.

    Input row: ``.`` then the characters, padded with 0. Target row: the characters then
    ``.``, padded with 0, so position ``t`` of the target is the character that follows
    position ``t`` of the input. Raises ``ValueError`` if a word has ``context`` or more
    characters. Used in: Part 2, Likelihood: from losses to perplexity; Part 4, A tiny GPT;
    Fine-tuning with low-rank adapters.
    """
    if context < 2:
        raise ValueError(f"context must be at least 2, got {context}.")
    x = np.zeros((len(words), context), dtype=np.int32)
    y = np.zeros((len(words), context), dtype=np.int32)
    for row, word in enumerate(words):
        ids = vocab.encode(word)
        if len(ids) >= context:
            raise ValueError(
                f"word {word!r} has {len(ids)} characters; context {context} fits at most {context - 1}."
            )
        x[row, : len(ids) + 1] = [BOUNDARY, *ids]
        y[row, : len(ids) + 1] = [*ids, BOUNDARY]
    return x, y


# --------------------------------------------------------------------------- words
# The characters Keras's TextVectorization strips by default ("lower_and_strip_punctuation").
_PUNCTUATION = re.compile(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']")
UNKNOWN = "[UNK]"


def standardize(text: str) -> str:
    """``text`` in lower case without ASCII punctuation, like TextVectorization's default.

    Used in: Part 4, Classifying messages, through :func:`word_vocabulary`.
    """
    return _PUNCTUATION.sub("", text.lower())


@dataclass(frozen=True)
class WordVocabulary:
    """Words and their ids: 0 is padding, 1 is ``[UNK]`` (any word not kept), then words."""

    words: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.words)


def word_vocabulary(texts: Iterable[str], max_tokens: int) -> WordVocabulary:
    """The ``max_tokens - 2`` most frequent words of ``texts``, after padding and ``[UNK]``.

    Words are split on whitespace after :func:`standardize`; ties keep the order in which
    the words first appear. Plain Python, so it runs on every Keras backend (Keras's
    ``TextVectorization`` layer needs TensorFlow installed). Used in: Part 4, Classifying messages.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a collection of strings, got a single str.")
    if max_tokens < 3:
        raise ValueError(
            f"max_tokens must be at least 3 (padding, [UNK], a word), got {max_tokens}."
        )
    counts = Counter(word for text in texts for word in standardize(text).split())
    kept = [word for word, _ in counts.most_common(max_tokens - 2)]
    return WordVocabulary(("", UNKNOWN, *kept))


def encode_texts(texts: Sequence[str], vocab: WordVocabulary, length: int) -> np.ndarray:
    """The ids of the first ``length`` words of each text, ``(len(texts), length)`` int64.

    Words outside ``vocab`` get id 1 (``[UNK]``); shorter texts are padded with 0 at the
    end, which an ``Embedding(mask_zero=True)`` ignores. Used in: Part 4, Classifying messages.
    """
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}.")
    index = {word: i for i, word in enumerate(vocab.words) if i >= 2}
    ids = np.zeros((len(texts), length), dtype=np.int64)
    for row, text in enumerate(texts):
        words = standardize(text).split()[:length]
        ids[row, : len(words)] = [index.get(word, 1) for word in words]
    return ids


# --------------------------------------------------------------------------- bigram baseline
def bigram_table(x: np.ndarray, y: np.ndarray, vocab_size: int, alpha: float = 1.0) -> np.ndarray:
    """``P[current, next]`` estimated by counting pairs in ``(x, y)``, with add-``alpha`` smoothing.

    Padding targets are not counted and padding is never predicted (its column is 0).
    Used in: Part 2, Likelihood: from losses to perplexity; Part 4, A tiny GPT (the baseline the
    Transformer must beat).
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}.")
    if alpha < 0:
        raise ValueError(f"alpha must be non-negative, got {alpha}.")
    keep = y != PAD
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (x[keep], y[keep]), 1.0)
    counts[:, BOUNDARY:] += alpha
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def bigram_cross_entropy(table: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood (nats per character) of the non-padding targets.

    Used in: Part 4, A tiny GPT.
    """
    x, y = np.asarray(x), np.asarray(y)
    keep = y != PAD
    probabilities = table[x[keep], y[keep]]
    return float(-np.mean(np.log(probabilities)))


def bigram_nll(table: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``-log P(target | current)`` of every non-padding target, in row-major order (nats).

    Their mean is :func:`bigram_cross_entropy`. Used in: Part 2, Likelihood: from losses to perplexity.
    """
    x, y = np.asarray(x), np.asarray(y)
    keep = y != PAD
    return -np.log(table[x[keep], y[keep]])


def model_nll(
    model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 512
) -> np.ndarray:
    """``-log P(target | tokens so far)`` of every non-padding target under a model's logits (nats).

    Same order as :func:`bigram_nll`, so the two can be compared target by target. The
    log-softmax is taken in float64, whatever precision the model computes in.
    Used in: Part 2, Likelihood: from losses to perplexity.
    """
    x, y = np.asarray(x), np.asarray(y)
    logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if logits.shape[:2] != y.shape:
        raise ValueError(f"the model's logits {logits.shape} do not match the targets {y.shape}.")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    keep = y != PAD
    return -log_probs[keep, y[keep]]


# --------------------------------------------------------------------------- Transformer
@keras.saving.register_keras_serializable(package="companion")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned embedding of each position ``0 .. context - 1``."""

    def __init__(self, vocab_size: int, context: int, d_model: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.context, self.d_model = vocab_size, context, d_model
        self.tokens = keras.layers.Embedding(vocab_size, d_model, name="tokens")
        self.positions = keras.layers.Embedding(context, d_model, name="positions")

    def call(self, ids):
        positions = keras.ops.arange(keras.ops.shape(ids)[-1])
        return self.tokens(ids) + self.positions(positions)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "context": self.context,
            "d_model": self.d_model,
        }


@keras.saving.register_keras_serializable(package="companion")
class TransformerBlock(keras.layers.Layer):
    """One decoder block (pre-norm): ``x + attention(norm(x))``, then ``x + mlp(norm(x))``.

    The attention is causal when ``causal`` is true: position ``t`` sees only
    positions ``0 .. t``. ``mlp_dim`` defaults to ``4 * d_model``.
    Used in: Part 4, A tiny GPT; Part 1 counts its parameters.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        mlp_dim: int | None = None,
        dropout: float = 0.0,
        causal: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if d_model % num_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads}).")
        self.d_model, self.num_heads = d_model, num_heads
        self.mlp_dim = mlp_dim or 4 * d_model
        self.dropout, self.causal = dropout, causal
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm1")
        self.attention = keras.layers.MultiHeadAttention(
            num_heads, d_model // num_heads, dropout=dropout, name="attention"
        )
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-5, name="norm2")
        self.mlp_in = keras.layers.Dense(self.mlp_dim, activation="gelu", name="mlp_in")
        self.mlp_out = keras.layers.Dense(d_model, name="mlp_out")
        self.drop = keras.layers.Dropout(dropout)

    def call(self, x, training=None):
        h = self.norm1(x)
        x = x + self.attention(h, h, use_causal_mask=self.causal, training=training)
        h = self.mlp_out(self.mlp_in(self.norm2(x)))
        return x + self.drop(h, training=training)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "mlp_dim": self.mlp_dim,
            "dropout": self.dropout,
            "causal": self.causal,
        }


def build_tiny_gpt(
    vocab_size: int,
    context: int,
    *,
    d_model: int = 64,
    num_heads: int = 4,
    num_layers: int = 2,
    mlp_dim: int | None = None,
    dropout: float = 0.0,
) -> keras.Model:
    """A decoder-only Transformer: ids ``(batch, context)`` to next-token logits ``(batch, context, vocab)``.

    Used in: Part 2, Likelihood: from losses to perplexity; Part 4, A tiny GPT;
    Fine-tuning with low-rank adapters.
    """
    for name, value in (
        ("vocab_size", vocab_size),
        ("context", context),
        ("num_layers", num_layers),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    ids = keras.Input((context,), dtype="int32", name="ids")
    x = TokenAndPositionEmbedding(vocab_size, context, d_model, name="embed")(ids)
    for layer in range(num_layers):
        x = TransformerBlock(d_model, num_heads, mlp_dim, dropout, name=f"block{layer + 1}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = keras.layers.Dense(vocab_size, dtype="float32", name="logits")(
        x
    )  # float32 under mixed precision
    return keras.Model(ids, logits, name="tiny_gpt")


def sample_words(
    model: keras.Model,
    vocab: CharVocabulary,
    n: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[str]:
    """Generate ``n`` words one character at a time, dividing the logits by ``temperature``.

    Low temperatures pick the likeliest characters (safe, repetitive words); high
    ones flatten the distribution (more varied, more misspelt). Padding is never
    sampled. Used in: Part 4, A tiny GPT; Fine-tuning with low-rank adapters.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    context = int(model.input_shape[1])
    rng = np.random.default_rng(seed)
    ids = np.zeros((n, context), dtype=np.int32)
    ids[:, 0] = BOUNDARY
    finished = np.zeros(n, dtype=bool)
    for t in range(context - 1):
        logits = (
            keras.ops.convert_to_numpy(model(ids, training=False))[:, t, :].astype(np.float64)
            / temperature
        )
        logits[:, PAD] = -np.inf
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        cumulative = probabilities.cumsum(axis=1)
        draws = rng.random((n, 1))
        chosen = np.minimum((cumulative < draws).sum(axis=1), vocab.size - 1)
        chosen[finished] = PAD
        ids[:, t + 1] = chosen
        finished |= chosen == BOUNDARY
        if finished.all():
            break
    return [vocab.decode(row[1:]) for row in ids]


# --------------------------------------------------------------------------- byte-pair encoding
#: GPT-2's context window in tokens (Radford et al., 2019).
GPT2_CONTEXT = 1024


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte: the printable Latin-1 bytes map to themselves.

    The other 68 bytes (controls, space, ...) map to code points from 256 up, so every
    token of ``vocab.bpe`` and ``encoder.json`` is a plain string. Used by
    :func:`gpt2_encoding` (no chapter calls it).
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    others = [b for b in range(256) if b not in printable]
    return {
        **{b: chr(b) for b in printable},
        **{b: chr(256 + n) for n, b in enumerate(others)},
    }


@functools.cache
def _category_class(prefix: str) -> str:
    """A regex character class body of every code point whose category starts with ``prefix``."""
    ranges, start = [], None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and unicodedata.category(chr(code)).startswith(prefix)
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return "".join(ranges)


@functools.cache
def gpt2_pattern() -> re.Pattern[str]:
    r"""GPT-2's pre-tokenizer with Python's ``re``, which has no ``\p{L}`` (letter) or ``\p{N}``.

    GPT-2 writes ``'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+``;
    here ``\p{L}`` and ``\p{N}`` are character classes built from :mod:`unicodedata`
    (built once, in about a second). One known difference: Python's ``\s`` also matches
    the separators U+001C to U+001F. Used by :func:`pretokenize` (no chapter calls it).
    """
    letters, numbers = _category_class("L"), _category_class("N")
    return re.compile(
        rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{letters}]+| ?[{numbers}]+| ?[^\s{letters}{numbers}]+"
        r"|\s+(?!\S)|\s+"
    )


def pretokenize(text: str) -> list[str]:
    """Split ``text`` into GPT-2's pre-tokens (words with their leading space, digits, ...).

    Merges never cross these pieces, so " cat" and "cat." share the token " cat".
    Used in: Part 1, Tokens.
    """
    return gpt2_pattern().findall(text)


@dataclass(frozen=True)
class BytePairEncoding:
    """A byte-level BPE: ``merges`` in the order learnt, ``ids`` from each token's bytes to its id.

    Every one of the 256 bytes is a token, so any text can be encoded (nothing is
    unknown). Encoding a pre-token starts from its bytes and applies the earliest-learnt
    applicable merge until none applies, as GPT-2 does.
    """

    merges: tuple[tuple[bytes, bytes], ...]
    ids: Mapping[bytes, int]
    _ranks: dict[tuple[bytes, bytes], int] = field(init=False, repr=False, compare=False)
    _tokens: dict[int, bytes] = field(init=False, repr=False, compare=False)
    _cache: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [bytes([b]) for b in range(256) if bytes([b]) not in self.ids]
        missing += [a + b for a, b in self.merges if a + b not in self.ids]
        if missing:
            raise ValueError(f"ids lacks {len(missing)} tokens, e.g. {missing[:3]}.")
        object.__setattr__(self, "_ranks", {pair: i for i, pair in enumerate(self.merges)})
        object.__setattr__(self, "_tokens", {i: token for token, i in self.ids.items()})
        object.__setattr__(self, "_cache", {})

    @property
    def size(self) -> int:
        """Number of token ids (the vocabulary size)."""
        return len(self.ids)

    def _pieces(self, word: str) -> tuple[int, ...]:
        if word in self._cache:
            return self._cache[word]
        parts = [bytes([b]) for b in word.encode("utf-8")]
        while len(parts) > 1:
            rank, first = min(
                (self._ranks.get(pair, len(self._ranks)), i)
                for i, pair in enumerate(itertools.pairwise(parts))
            )
            if rank == len(self._ranks):
                break
            left, right = self.merges[rank]
            merged, i = [], 0
            while i < len(parts):
                if i >= first and i + 1 < len(parts) and (parts[i], parts[i + 1]) == (left, right):
                    merged.append(left + right)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = tuple(self.ids[part] for part in parts)
        self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text`` (special tokens such as ``<|endoftext|>`` are plain text)."""
        return [token for word in pretokenize(text) for token in self._pieces(word)]

    def tokens(self, text: str) -> list[bytes]:
        """The bytes of each token of ``text``; a token may hold part of a character."""
        return [self._tokens[token] for token in self.encode(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``; bytes that are not valid UTF-8 become U+FFFD."""
        try:
            raw = b"".join(self._tokens[int(token)] for token in ids)
        except KeyError as error:
            raise ValueError(f"token id {error.args[0]} is not in the vocabulary.") from None
        return raw.decode("utf-8", errors="replace")

    def truncated(self, num_merges: int) -> BytePairEncoding:
        """The BPE of the first ``num_merges`` merges, renumbered: bytes 0-255, merge i is 256 + i.

        BPE vocabularies are nested, so this is what training with fewer merges gives.
        Used in: Part 1, Tokens.
        """
        if not 0 <= num_merges <= len(self.merges):
            raise ValueError(f"num_merges must be in 0..{len(self.merges)}, got {num_merges}.")
        return _from_merges(self.merges[:num_merges])


def _from_merges(merges: Sequence[tuple[bytes, bytes]]) -> BytePairEncoding:
    ids = {bytes([b]): b for b in range(256)}
    for a, b in merges:
        ids.setdefault(a + b, len(ids))
    return BytePairEncoding(tuple(merges), ids)


def _merge(word: list[int], pair: tuple[int, int], new: int) -> list[int]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def train_bpe(texts: Iterable[str], num_merges: int) -> BytePairEncoding:
    """Learn ``num_merges`` merges from ``texts``: repeatedly merge the most frequent adjacent pair.

    Pairs are counted inside GPT-2's pre-tokens, weighted by how often each pre-token
    occurs; ties go to the pair of smaller ids. Only the words holding the merged pair
    are recounted, so training takes seconds, not hours. Used in: Part 1, Tokens;
    Part 2, Likelihood: from losses to perplexity.
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a collection of strings, got a single str.")
    if num_merges < 0:
        raise ValueError(f"num_merges must be >= 0, got {num_merges}.")
    counts = Counter(word for text in texts for word in pretokenize(text))
    words = [list(word.encode("utf-8")) for word in counts]
    freqs = list(counts.values())
    tokens = [bytes([b]) for b in range(256)]
    pairs: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], set[int]] = {}
    for w, word in enumerate(words):
        for pair in itertools.pairwise(word):
            pairs[pair] += freqs[w]
            where.setdefault(pair, set()).add(w)
    heap = [(-count, pair) for pair, count in pairs.items()]
    heapq.heapify(heap)
    merges: list[tuple[bytes, bytes]] = []
    while len(merges) < num_merges and heap:
        count, pair = heapq.heappop(heap)
        if -count != pairs[pair] or count == 0:
            continue  # a stale entry: the pair's count changed since it was pushed
        new = len(tokens)
        tokens.append(tokens[pair[0]] + tokens[pair[1]])
        merges.append((tokens[pair[0]], tokens[pair[1]]))
        changed = set()
        for w in where.pop(pair):
            merged = _merge(words[w], pair, new)
            before = Counter(itertools.pairwise(words[w]))
            after = Counter(itertools.pairwise(merged))
            for p in before.keys() | after.keys():
                delta = after[p] - before[p]
                if delta:
                    pairs[p] += delta * freqs[w]
                    changed.add(p)
                    if delta > 0:
                        where.setdefault(p, set()).add(w)
            words[w] = merged
        for p in changed:
            if pairs[p] > 0:
                heapq.heappush(heap, (-pairs[p], p))
    return _from_merges(merges)


def gpt2_encoding(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True
) -> BytePairEncoding:
    """GPT-2's tokenizer: 50,000 merges and 50,257 ids, from the verified ``gpt2-vocabulary`` files.

    ``encoder.json`` maps each token (written with :func:`bytes_to_unicode`) to its id;
    ``vocab.bpe`` lists the merges, one pair per line after a version line.
    Used in: Part 1, Tokens; Part 4, Retrieval-augmented generation.
    """
    from companion.data import load_files

    files = load_files("gpt2-vocabulary", data_dir, download=download)
    byte_of = {char: byte for byte, char in bytes_to_unicode().items()}

    def raw(token: str) -> bytes:
        return bytes(byte_of[char] for char in token)

    ids = {raw(token): i for token, i in json.loads(files["encoder.json"]).items()}
    lines = files["vocab.bpe"].decode("utf-8").split("\n")
    if not lines[0].startswith("#version"):
        raise ValueError(f"vocab.bpe should start with a '#version' line, got {lines[0][:40]!r}.")
    # split on "\n" only: str.splitlines would also break at characters inside tokens
    merges = tuple((raw(a), raw(b)) for a, b in (line.split(" ") for line in lines[1:] if line))
    return BytePairEncoding(merges, ids)


# --------------------------------------------------------------------------- e-mail text
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def message_text(raw: str) -> str:
    """The subject and the readable body of a raw e-mail, without the other headers.

    Multipart messages contribute their ``text/plain`` and ``text/html`` parts; HTML
    tags are removed and entities decoded. Header lines such as ``Received:`` are
    dropped, because a real filter would see them differ between sites.
    Used in: Part 4, Classifying messages.
    """
    if not isinstance(raw, str):
        raise TypeError(f"raw must be the e-mail as a str, got {type(raw).__name__}.")
    message = email.message_from_string(raw, policy=email.policy.compat32)
    parts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        charset = part.get_content_charset() or "latin-1"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name
            text = payload.decode("latin-1", errors="replace")
        if part.get_content_subtype() == "html":
            text = html.unescape(_TAG.sub(" ", text))
        parts.append(text)
    return _SPACE.sub(" ", " ".join(parts)).strip()
