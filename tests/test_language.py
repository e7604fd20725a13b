"""companion.language: vocabulary, bigram baseline, Transformer pieces, sampling, e-mail text."""

from __future__ import annotations

import hashlib
import json

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion import data
from companion.language import (
    BOUNDARY,
    PAD,
    BytePairEncoding,
    TransformerBlock,
    bigram_cross_entropy,
    bigram_nll,
    bigram_table,
    build_tiny_gpt,
    bytes_to_unicode,
    char_vocabulary,
    encode_texts,
    encode_words,
    gpt2_encoding,
    message_text,
    model_nll,
    pretokenize,
    sample_words,
    standardize,
    train_bpe,
    word_vocabulary,
)


def test_char_vocabulary_puts_padding_and_boundary_first():
    vocab = char_vocabulary(["bob", "ann"])
    assert vocab.chars == ("", ".", "a", "b", "n", "o") and vocab.size == 6
    assert vocab.encode("nab") == [4, 2, 3]
    assert vocab.decode([3, 5, 3, BOUNDARY, 2]) == "bob"
    assert vocab.decode([PAD, 2, PAD]) == "a"


def test_char_vocabulary_rejects_boundary_character_and_single_string():
    with pytest.raises(ValueError, match="'.'"):
        char_vocabulary(["a.b"])
    with pytest.raises(TypeError, match="single str"):
        char_vocabulary("abc")
    with pytest.raises(ValueError, match=r"\['z'\]"):
        char_vocabulary(["ab"]).encode("az")


def test_encode_words_shifts_targets_by_one_and_pads():
    vocab = char_vocabulary(["ab", "b"])
    x, y = encode_words(["ab", "b"], vocab, context=4)
    assert x.dtype == y.dtype == np.int32
    assert x.tolist() == [[1, 2, 3, 0], [1, 3, 0, 0]]
    assert y.tolist() == [[2, 3, 1, 0], [3, 1, 0, 0]]


def test_encode_words_rejects_word_longer_than_context():
    vocab = char_vocabulary(["abcd"])
    with pytest.raises(ValueError, match="'abcd' has 4 characters; context 4 fits at most 3"):
        encode_words(["abcd"], vocab, context=4)


def test_bigram_table_matches_hand_counts_and_cross_entropy_matches_loop():
    vocab = char_vocabulary(["ab", "aa"])
    x, y = encode_words(["ab", "aa"], vocab, context=3)
    table = bigram_table(x, y, vocab.size, alpha=0.0)
    # After "a" (id 2): "b" once, "a" once, "." once.
    assert table[2].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3])
    assert table[BOUNDARY, 2] == 1.0 and table[:, PAD].sum() == 0
    smoothed = bigram_table(x, y, vocab.size, alpha=1.0)
    assert np.allclose(smoothed[[BOUNDARY, 2, 3]].sum(axis=1), 1.0)
    expected = -np.mean(
        [np.log(smoothed[a, b]) for row_x, row_y in zip(x, y, strict=True)
         for a, b in zip(row_x, row_y, strict=True) if b != PAD]
    )  # fmt: skip
    assert bigram_cross_entropy(smoothed, x, y) == pytest.approx(expected)


def test_bigram_table_validates_inputs():
    with pytest.raises(ValueError, match="same shape"):
        bigram_table(np.zeros((2, 3), int), np.zeros((2, 4), int), 5)
    with pytest.raises(ValueError, match="alpha"):
        bigram_table(np.zeros((2, 3), int), np.zeros((2, 3), int), 5, alpha=-1)


def test_transformer_block_is_causal_and_counts_its_parameters():
    keras.utils.set_random_seed(0)
    block = TransformerBlock(d_model=8, num_heads=2, mlp_dim=16)
    x = np.random.default_rng(0).normal(size=(1, 5, 8)).astype("float32")
    changed = x.copy()
    changed[0, 3:] += 1.0  # change only the last two positions
    before, after = np.asarray(block(x)), np.asarray(block(changed))
    assert np.allclose(before[0, :3], after[0, :3], atol=1e-6)
    assert not np.allclose(before[0, 3:], after[0, 3:])
    d, m = 8, 16
    assert block.count_params() == 4 * (d * d + d) + 4 * d + 2 * d * m + m + d


def test_transformer_block_config_round_trips_and_validates_heads():
    block = TransformerBlock(d_model=8, num_heads=2, dropout=0.1, causal=False)
    clone = TransformerBlock.from_config(block.get_config())
    assert (clone.d_model, clone.num_heads, clone.mlp_dim, clone.causal) == (8, 2, 32, False)
    with pytest.raises(ValueError, match="divisible"):
        TransformerBlock(d_model=10, num_heads=3)


def test_tiny_gpt_maps_ids_to_logits_per_position():
    model = build_tiny_gpt(7, 5, d_model=8, num_heads=2, num_layers=1)
    logits = model(np.ones((3, 5), dtype="int32"))
    assert tuple(logits.shape) == (3, 5, 7)
    with pytest.raises(ValueError, match="context"):
        build_tiny_gpt(7, 0)


def test_sample_words_is_repeatable_and_uses_the_vocabulary():
    keras.utils.set_random_seed(1)
    vocab = char_vocabulary(["abc"])
    model = build_tiny_gpt(vocab.size, 6, d_model=8, num_heads=2, num_layers=1)
    first = sample_words(model, vocab, 20, temperature=1.0, seed=3)
    assert first == sample_words(model, vocab, 20, temperature=1.0, seed=3)
    assert len(first) == 20 and all(set(word) <= set("abc") and len(word) <= 5 for word in first)
    with pytest.raises(ValueError, match="temperature"):
        sample_words(model, vocab, 2, temperature=0)


def test_message_text_keeps_subject_and_body_and_strips_html():
    raw = (
        "Received: from relay.example\nSubject: Cheap pills\n"
        'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="X"\n\n'
        "--X\nContent-Type: text/plain\n\nBuy now\n"
        "--X\nContent-Type: text/html\n\n<p>Buy&nbsp;<b>now</b> &amp; save</p>\n"
        "--X\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lG\n--X--\n"
    )
    text = message_text(raw)
    assert text.startswith("Cheap pills Buy now")
    assert "now & save" in text and "<b>" not in text
    assert "relay.example" not in text and "R0lG" not in text
    with pytest.raises(TypeError, match="str"):
        message_text(b"bytes")


# Every word has its own count (5, 4, 3, 2, 1), so the vocabulary order has no ties.
CORPUS = ["Spam, spam; SPAM! eggs", "spam eggs and ham.", "Eggs? Ham and spam", "eggs ham toast"]


def test_word_vocabulary_orders_words_by_count_after_padding_and_unknown():
    vocab = word_vocabulary(CORPUS, max_tokens=5)
    assert vocab.words == ("", "[UNK]", "spam", "eggs", "ham") and vocab.size == 5
    assert standardize("It's a [test]-run!") == "its a testrun"


def test_encode_texts_pads_truncates_and_marks_unknown_words():
    vocab = word_vocabulary(CORPUS, max_tokens=5)
    ids = encode_texts(["ham and SPAM", "eggs eggs eggs eggs"], vocab, length=3)
    assert ids.dtype == np.int64
    assert ids.tolist() == [[4, 1, 2], [3, 3, 3]]
    assert encode_texts(["toast"], vocab, length=2).tolist() == [[1, 0]]


def test_word_ids_match_keras_text_vectorization_where_tensorflow_is_installed():
    pytest.importorskip("tensorflow")
    layer = keras.layers.TextVectorization(max_tokens=6, output_sequence_length=4)
    layer.adapt(np.asarray(CORPUS))
    vocab = word_vocabulary(CORPUS, max_tokens=6)
    assert tuple(layer.get_vocabulary()) == vocab.words
    texts = [*CORPUS, "toast and jam, spam"]
    expected = keras.ops.convert_to_numpy(layer(np.asarray(texts)))
    assert encode_texts(texts, vocab, length=4).tolist() == expected.tolist()


def test_word_vocabulary_rejects_a_single_string_and_a_tiny_budget():
    with pytest.raises(TypeError, match="single str"):
        word_vocabulary("spam spam", max_tokens=5)
    with pytest.raises(ValueError, match="at least 3"):
        word_vocabulary(CORPUS, max_tokens=2)


# --------------------------------------------------------------------------- byte-pair encoding
BPE_CORPUS = ["the cat sat on the mat", "the hat", "猫坐在垫子上。猫很开心", "naïve café ²"]


@pytest.fixture(scope="module")
def small_bpe() -> BytePairEncoding:
    return train_bpe(BPE_CORPUS * 3, 40)


def test_train_bpe_merges_the_most_frequent_pair_first_worked_by_hand():
    # pre-tokens "ab", " ab", " ab", " cd": (a, b) occurs 3 times, then (" ", ab) twice
    bpe = train_bpe(["ab ab ab cd"], 2)
    assert bpe.merges == ((b"a", b"b"), (b" ", b"ab"))
    assert bpe.size == 258 and bpe.encode(" ab") == [257] and bpe.encode("ab") == [256]
    assert bpe.encode(" cd") == [ord(" "), ord("c"), ord("d")]  # never merged: bytes


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60))
def test_bpe_round_trips_any_unicode_text(small_bpe, text):
    ids = small_bpe.encode(text)
    assert small_bpe.decode(ids) == text
    assert all(0 <= token < small_bpe.size for token in ids)
    assert b"".join(small_bpe.tokens(text)) == text.encode("utf-8")


def test_bpe_shortens_text_like_its_corpus_and_truncation_is_nested(small_bpe):
    text = "the cat sat on the mat"
    assert len(small_bpe.encode(text)) < len(text.encode("utf-8")) / 2
    fewer = small_bpe.truncated(10)
    assert fewer.merges == small_bpe.merges[:10] and fewer.size == 266
    assert len(small_bpe.encode(text)) <= len(fewer.encode(text)) <= len(text)
    assert small_bpe.truncated(0).encode("ab") == [97, 98]
    with pytest.raises(ValueError, match="num_merges"):
        small_bpe.truncated(41)


def test_bpe_rejects_bad_inputs(small_bpe):
    with pytest.raises(TypeError, match="single str"):
        train_bpe("abc", 3)
    with pytest.raises(ValueError, match=">= 0"):
        train_bpe(["abc"], -1)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        small_bpe.decode([10**6])
    with pytest.raises(ValueError, match="lacks"):
        BytePairEncoding((), {b"a": 0})


def test_pretokenize_follows_gpt2_letters_numbers_and_spaces():
    # \p{L} includes Han characters and accented letters; "²" is \p{N}, not a letter
    assert pretokenize("Hello world's 42 naïve²  猫。") == [
        "Hello", " world", "'s", " 42", " naïve", "²", " ", " 猫", "。",
    ]  # fmt: skip
    assert "".join(pretokenize("a\n\n  b\t")) == "a\n\n  b\t"


def test_bytes_to_unicode_is_a_bijection_onto_printable_characters():
    mapping = bytes_to_unicode()
    assert len(mapping) == len(set(mapping.values())) == 256
    assert mapping[ord("A")] == "A" and mapping[ord(" ")] == "Ġ"  # GPT-2's space is "Ġ"
    assert all(char.isprintable() for char in mapping.values())


def test_gpt2_encoding_reads_the_published_file_formats(tmp_path):
    """A three-merge vocabulary in GPT-2's format; one merge starts with '#', like GPT-2's."""
    to_char = bytes_to_unicode()
    names = {"".join(to_char[b] for b in bytes([i])): i for i in range(256)}
    names |= {"ĠĠ": 256, "##": 257, "Ġ##": 258}
    (tmp_path / "encoder.json").write_text(json.dumps(names))
    (tmp_path / "vocab.bpe").write_text("#version: 0.2\nĠ Ġ\n# #\nĠ ##\n")
    digests = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        for name in ("encoder.json", "vocab.bpe")
    }
    spec = data.FileDatasetSpec("gpt2-vocabulary", digests, "a test")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(data.FILE_DATASETS, "gpt2-vocabulary", spec)
        bpe = gpt2_encoding(tmp_path, download=False)
    assert bpe.size == 259 and len(bpe.merges) == 3
    assert bpe.encode(" ##  ") == [258, 256]
    assert bpe.decode([258, 256]) == " ##  "


@pytest.mark.slow
def test_gpt2_encoding_gives_the_ids_published_outside_this_repository():
    """Test vectors of gpt-3-encoder's Encoder.test.js (AIDungeon/GPT-3-Encoder, MIT) and
    tiktoken's test_simple ("hello world" under "gpt2"); needs `make data`."""
    bpe = gpt2_encoding(download=False)
    published = {
        "": [],
        " ": [220],
        "\t": [197],
        "This is some text": [1212, 318, 617, 2420],
        "indivisible": [521, 452, 12843],
        "hello 👋 world 🌍": [31373, 50169, 233, 995, 12520, 234, 235],
        "hello world": [31373, 995],
    }
    for text, ids in published.items():
        assert bpe.encode(text) == ids, text
        assert bpe.decode(ids) == text
    assert bpe.size == 50_257 and len(bpe.merges) == 50_000


def test_bigram_nll_is_per_target_and_averages_to_the_cross_entropy():
    vocab = char_vocabulary(["ab", "ba", "aab"])
    x, y = encode_words(["ab", "ba", "aab"], vocab, 5)
    table = bigram_table(x, y, vocab.size)
    nll = bigram_nll(table, x, y)
    assert nll.shape == (int((y != PAD).sum()),)
    assert np.isclose(nll.mean(), bigram_cross_entropy(table, x, y))


def test_model_nll_matches_keras_cross_entropy_on_the_same_targets():
    keras.utils.set_random_seed(0)
    vocab = char_vocabulary(["ab", "ba", "aab"])
    x, y = encode_words(["ab", "ba", "aab", "b"], vocab, 5)
    model = build_tiny_gpt(vocab.size, 5, d_model=8, num_heads=2, num_layers=1)
    nll = model_nll(model, x, y)
    logits = model.predict(x, verbose=0)
    keep = y != PAD
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    reference = keras.ops.convert_to_numpy(loss(y[keep], logits[keep]))
    assert nll.shape == reference.shape and np.allclose(nll, reference, atol=1e-4)
    with pytest.raises(ValueError, match="do not match"):
        model_nll(model, x, y[:, :3])
