"""The retrieval chapter's pieces: sections, questions, chunks, retrievers, metrics, prompts."""

from __future__ import annotations

import numpy as np
import pytest

from companion import compute, retrieval

PAGE = """\
:tocdepth: 2

===============
Programming FAQ
===============

.. contents::

How do I copy a file?
---------------------

Use :func:`shutil.copyfile` from the `shutil module <https://docs.python.org/>`_; it
copies the bytes of one file to another path, and several other functions copy
metadata too, as the library reference explains in detail for each platform here.

Why?
----

See above.
"""


def test_rst_sections_split_at_underlined_titles_and_drop_overlines():
    titles = [title for title, _ in retrieval.rst_sections(PAGE)]
    assert titles == ["", "Programming FAQ", "How do I copy a file?", "Why?"]
    first_body = retrieval.rst_sections(PAGE)[0][1]
    assert "=====" not in first_body  # the overline went with its title


def test_a_line_with_a_short_underline_is_not_a_title():
    assert [t for t, _ in retrieval.rst_sections("A long line\n---\ntext\n")] == [""]


def test_clean_rst_keeps_the_words_of_roles_and_links_and_drops_directives():
    text = retrieval.clean_rst(
        ".. index:: single: x\n.. _label:\n\nUse :func:`len` and :ref:`the tutorial <tut>`, "
        "see `docs <https://x>`_."
    )
    assert text == "Use len and the tutorial, see docs."


def test_python_faq_withholds_the_question_and_skips_pointer_answers():
    sections, questions = retrieval.python_faq(
        {"faq/programming.rst": PAGE, "library/os.rst": "os\n==\n\nMiscellaneous.\n"}
    )
    assert [q.text for q in questions] == ["How do I copy a file?"]  # "Why?" has 2 words
    answer = sections[questions[0].section]
    assert answer.heading == "Programming FAQ" and "shutil.copyfile" in answer.text
    assert all("How do I copy" not in s.heading + s.text for s in sections)
    assert sections[-1] == retrieval.Section("library/os.rst", "os", "Miscellaneous.")


def test_tokenize_lowercases_keeps_identifiers_and_drops_stop_words():
    assert retrieval.tokenize("How do I call sys.path_hooks?") == ["sys", "path_hooks"]


def test_chunks_are_windows_within_sections_with_their_heading():
    sections = [retrieval.Section("a", "A", "w " * 5), retrieval.Section("b", "B", "x y z")]
    chunks = retrieval.chunk_sections(sections, 2)
    assert chunks.text == ["A\nw w", "A\nw w", "A\nw", "B\nx y", "B\nz"]
    assert chunks.section.tolist() == [0, 0, 0, 1, 1] and chunks.words.tolist() == [3, 3, 2, 3, 2]
    assert len(retrieval.chunk_sections(sections, None)) == 2
    with pytest.raises(ValueError, match="positive number of words"):
        retrieval.chunk_sections(sections, 0)


CORPUS = [
    "copy a file with shutil copyfile",
    "threads and the global interpreter lock",
    "the garbage collector frees memory cycles",
    "format strings with f-strings",
]


@pytest.mark.parametrize("make", [retrieval.TfidfRetriever, retrieval.Bm25Retriever])
def test_lexical_retrievers_rank_the_chunk_sharing_the_query_words_first(make):
    scores = make().fit(CORPUS).scores(["how to copy a file", "garbage collector"])
    assert scores.shape == (2, 4) and scores.argmax(axis=1).tolist() == [0, 2]


def test_lsa_embeddings_are_unit_vectors_and_rank_an_exact_match_first():
    lsa = retrieval.LsaRetriever(dims=3, seed=0).fit(CORPUS)
    assert np.allclose(np.linalg.norm(lsa.embeddings, axis=1), 1)
    assert lsa.scores(["garbage collector frees memory cycles"]).argmax() == 2


def test_rank_fusion_uses_ranks_not_scales():
    a = np.array([[10.0, 5.0, 1.0]])
    b = np.array([[0.2, 0.3, 0.1]])
    assert retrieval.rank_fusion(a, b * 1000).tolist() == retrieval.rank_fusion(a, b).tolist()
    assert retrieval.rank_fusion(a, b).argmin() == 2


def test_first_relevant_rank_takes_the_best_answer_chunk_and_counts_ties_against_it():
    scores = np.array([[0.9, 0.5, 0.7, 0.5], [0.1, 0.2, 0.3, 0.4]])
    owner = np.array([0, 1, 1, 2])
    ranks = retrieval.first_relevant_rank(scores, owner, np.array([1, 2]))
    assert ranks.tolist() == [2, 1]
    tied = retrieval.first_relevant_rank(np.array([[0.5, 0.5]]), np.array([0, 1]), np.array([1]))
    assert tied.tolist() == [2]
    with pytest.raises(ValueError, match="at least one chunk"):
        retrieval.first_relevant_rank(scores, owner, np.array([7, 1]))


def test_budget_hits_count_only_the_chunks_that_fit():
    sections = [retrieval.Section("a", "A", "w " * 10), retrieval.Section("b", "B", "x y")]
    chunks = retrieval.chunk_sections(sections, 10)  # 11 words, then 3 words
    scores = np.array([[1.0, 0.5]])
    assert retrieval.budget_hits(scores, chunks, np.array([1]), 14).tolist() == [1]
    assert retrieval.budget_hits(scores, chunks, np.array([1]), 13).tolist() == [0]
    assert retrieval.budget_hits(scores, chunks, np.array([0]), 5).tolist() == [0]


def test_mean_interval_brackets_the_mean_and_is_zero_width_for_constant_scores():
    mean, low, high = retrieval.mean_interval(np.r_[np.zeros(50), np.ones(50)])
    assert mean == 0.5 and 0.35 < low < 0.5 < high < 0.65
    assert retrieval.mean_interval(np.ones(10)) == (1.0, 1.0, 1.0)


def test_build_prompt_adds_numbered_passages_best_first_until_the_budget():
    passages = ["alpha " * 10, "beta " * 10, "gamma " * 10]
    bare = len(retrieval.RAG_TEMPLATE.render(passages="", question="Why?").split())
    prompt, used = retrieval.build_prompt("Why?", passages, bare + 23)
    assert used == 2 and "[1] alpha" in prompt and "[2] beta" in prompt and "gamma" not in prompt
    assert len(prompt.split()) <= bare + 23 and prompt.endswith("Question: Why?\nAnswer:")
    with pytest.raises(ValueError, match="raise the budget"):
        retrieval.build_prompt("Why?", passages, 5)


def test_batched_serving_utilisation_fills_memory_with_caches():
    kwargs = dict(layers=32, width=4096, accelerator=compute.A100_40GB, generated_tokens=200)
    short = compute.batched_serving_utilisation(7e9, prompt_tokens=300, **kwargs)
    long = compute.batched_serving_utilisation(7e9, prompt_tokens=1800, **kwargs)
    assert 0 < short < 1 and 0 < long < 1 and short != long
    with pytest.raises(ValueError, match="cannot hold"):
        compute.batched_serving_utilisation(7e9, prompt_tokens=1e6, **kwargs)
