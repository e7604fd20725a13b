"""Small language models: characters and words to ids, a bigram baseline, a tiny GPT, e-mail text.

The Transformer pieces (:class:`TokenAndPositionEmbedding`, :class:`TransformerBlock`,
:func:`build_tiny_gpt`) are ordinary Keras layers, so a chapter can count their
parameters with ``count_params()`` or reuse them in a bigger model.
Defined in Part 4, "A tiny GPT" and "Classifying messages".
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

__all__ = [
    "BOUNDARY",
    "PAD",
    "CharVocabulary",
    "TokenAndPositionEmbedding",
    "TransformerBlock",
    "WordVocabulary",
    "bigram_cross_entropy",
    "bigram_table",
    "build_tiny_gpt",
    "char_vocabulary",
    "encode_texts",
    "encode_words",
    "message_text",
    "sample_words",
    "standardize",
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

    Used in: Part 4, A tiny GPT; Fine-tuning with low-rank adapters.
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
    characters. Used in: Part 4, A tiny GPT; Fine-tuning with low-rank adapters.
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
    Used in: Part 4, A tiny GPT (the baseline the Transformer must beat).
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

    Used in: Part 4, A tiny GPT; Fine-tuning with low-rank adapters.
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
