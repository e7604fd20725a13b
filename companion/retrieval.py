"""Retrieval for retrieval-augmented generation: a collection, chunks, three retrievers, metrics.

The half of a retrieval-augmented product that its builder controls and can measure:
how the documents are cut into chunks, how chunks are ranked for a question (TF-IDF,
BM25, and a dense embedding learned from the collection by latent semantic analysis),
how well the ranking finds the known answer (recall@k, mean reciprocal rank), and the
prompt that carries the chunks found to a model, within a budget of tokens.

The collection is the reStructuredText source of the Python documentation
(:func:`companion.data.load_python_docs`); the questions are the headings of its FAQ
pages and the answer to each is the FAQ section under it. The question itself is
withheld from the collection, or every question would find its answer by string match.

Used in: Part 4, Retrieval-augmented generation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from companion.prompts import PromptTemplate

__all__ = [
    "RAG_TEMPLATE",
    "Bm25Retriever",
    "Chunks",
    "LsaRetriever",
    "Question",
    "Section",
    "TfidfRetriever",
    "budget_hits",
    "build_prompt",
    "chunk_sections",
    "clean_rst",
    "first_relevant_rank",
    "mean_interval",
    "python_faq",
    "rank_fusion",
    "rst_sections",
    "tokenize",
]

_UNDERLINE = re.compile(r"^([=\-~^*\"#+`'.:_])\1+\s*$")
_ROLE = re.compile(r":[\w:.-]+:`(?:([^`<]*?)\s*<[^`>]*>|~?!?([^`]*))`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^`>]+>`_{1,2}")
_DIRECTIVE = re.compile(r"^\s*\.\. (?:_[^:]+:|\w[\w:-]*::.*|\|[^|]+\|.*)$")
_TOKEN = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Section:
    """One section of one page: ``heading`` is the text put in front of each of its chunks."""

    path: str
    heading: str
    text: str


@dataclass(frozen=True)
class Question:
    """A FAQ question, the text of its answer, and the index of the answer's section."""

    text: str
    answer: str
    section: int


def rst_sections(text: str) -> list[tuple[str, str]]:
    """Split a reStructuredText page into ``(title, body)`` at its section titles.

    A title is a line followed by an underline of one repeated punctuation character,
    at least as long as the title (an overline above it is dropped). Text before the
    first title gets the title ``""``. Used by :func:`python_faq` (no chapter calls it).
    """
    lines = text.splitlines()
    sections: list[tuple[str, list[str]]] = [("", [])]
    i = 0
    while i < len(lines):
        line, below = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        if (title and not line[0].isspace() and not _UNDERLINE.match(line)
                and _UNDERLINE.match(below) and len(below.strip()) >= len(title)):  # fmt: skip
            body = sections[-1][1]
            if body and _UNDERLINE.match(body[-1]):
                body.pop()  # the overline belongs to this title, not to the last section
            sections.append((title, []))
            i += 2
            continue
        sections[-1][1].append(line)
        i += 1
    return [(title, "\n".join(body)) for title, body in sections]


def clean_rst(text: str) -> str:
    """The readable text of reStructuredText: roles and links reduced to their words.

    ``:func:`len``` becomes ``len``, ```text <url>`_`` becomes ``text``, and directive
    lines (``.. index::``, ``.. _label:``) are dropped; code and prose stay as written.
    Used by :func:`python_faq` (no chapter calls it).
    """
    lines = [line for line in text.splitlines() if not _DIRECTIVE.match(line)]
    text = _LINK.sub(r"\1", "\n".join(lines))
    text = _ROLE.sub(lambda m: m.group(1) or m.group(2), text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def python_faq(
    pages: Mapping[str, str], *, min_answer_words: int = 20
) -> tuple[list[Section], list[Question]]:
    """The Python docs as sections to search, and the FAQ's questions with their answers.

    A question is a title ending in "?" on a ``faq/`` page whose answer (the section's
    text) has at least ``min_answer_words`` words; shorter answers only point elsewhere.
    Every section of every page is in the collection, headed by its title, except that a
    FAQ answer is headed by its page's title: the question itself is withheld.
    Used in: Part 4, Retrieval-augmented generation.
    """
    sections: list[Section] = []
    questions: list[Question] = []
    for path, page in sorted(pages.items()):
        parts = rst_sections(page)
        page_title = next((title for title, _ in parts if title), path)
        for title, body in parts:
            text = clean_rst(body)
            if not text:
                continue
            is_question = path.startswith("faq/") and title.endswith("?")
            if is_question and len(text.split()) >= min_answer_words:
                questions.append(Question(title, text, len(sections)))
            heading = page_title if is_question else clean_rst(title) or page_title
            sections.append(Section(path, heading, text))
    return sections, questions


def tokenize(text: str) -> list[str]:
    """Lower-case words and identifiers (letters, digits, underscores), English stop words removed.

    The one tokenizer every retriever of the chapter uses, so they differ only in scoring.
    Used in: Part 4, Retrieval-augmented generation.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [word for word in _TOKEN.findall(text.lower()) if word not in ENGLISH_STOP_WORDS]


@dataclass(frozen=True)
class Chunks:
    """Chunks of a collection: their text, the section each comes from, and its length in words."""

    text: list[str]
    section: np.ndarray
    words: np.ndarray

    def __len__(self) -> int:
        return len(self.text)


def chunk_sections(sections: Sequence[Section], size: int | None) -> Chunks:
    """Cut each section into chunks of ``size`` words (the last one shorter), each headed
    by the section's heading; ``size=None`` keeps each section whole.

    Chunks never cross a section boundary. Used in: Part 4, Retrieval-augmented generation.
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ValueError(f"size must be a positive number of words or None, got {size!r}.")
    texts: list[str] = []
    owners: list[int] = []
    for index, section in enumerate(sections):
        words = section.text.split()
        step = size or len(words)
        for start in range(0, len(words), step):
            texts.append(f"{section.heading}\n{' '.join(words[start : start + step])}")
            owners.append(index)
    words_per_chunk = np.array([len(text.split()) for text in texts])
    return Chunks(texts, np.array(owners), words_per_chunk)


class TfidfRetriever:
    """Cosine similarity of TF-IDF vectors (scikit-learn), with sublinear term frequency.

    Used in: Part 4, Retrieval-augmented generation.
    """

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(
            tokenizer=tokenize, lowercase=False, token_pattern=None, sublinear_tf=True
        )

    def fit(self, texts: Sequence[str]) -> TfidfRetriever:
        self.matrix = self.vectorizer.fit_transform(texts)
        return self

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """``(queries, chunks)`` similarities; higher ranks first."""
        return (self.vectorizer.transform(queries) @ self.matrix.T).toarray()


class Bm25Retriever:
    """Okapi BM25 (the ``bm25s`` library), on the same tokens as :class:`TfidfRetriever`.

    ``k1`` sets how fast repeated words saturate, ``b`` how much long chunks are penalised.
    Used in: Part 4, Retrieval-augmented generation.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        import bm25s

        self.model = bm25s.BM25(k1=k1, b=b)

    def fit(self, texts: Sequence[str]) -> Bm25Retriever:
        self.model.index([tokenize(text) for text in texts], show_progress=False)
        return self

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """``(queries, chunks)`` BM25 scores; higher ranks first."""
        return np.stack([self.model.get_scores(tokenize(query)) for query in queries])


class LsaRetriever:
    """Dense retrieval with embeddings learned from the collection: latent semantic analysis.

    A truncated SVD of the TF-IDF matrix maps each chunk and query to ``dims`` numbers;
    chunks are ranked by cosine similarity of these embeddings. ``seed`` fixes the
    randomized SVD. Used in: Part 4, Retrieval-augmented generation.
    """

    def __init__(self, dims: int = 128, seed: int = 0) -> None:
        from sklearn.decomposition import TruncatedSVD

        self.tfidf = TfidfRetriever()
        self.svd = TruncatedSVD(n_components=dims, n_iter=4, random_state=seed)

    def fit(self, texts: Sequence[str]) -> LsaRetriever:
        self.tfidf.fit(texts)
        self.embeddings = _unit_rows(self.svd.fit_transform(self.tfidf.matrix))
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of new texts, ``(texts, dims)``."""
        return _unit_rows(self.svd.transform(self.tfidf.vectorizer.transform(texts)))

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """``(queries, chunks)`` cosine similarities of the embeddings."""
        return self.embed(queries) @ self.embeddings.T


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def rank_fusion(*score_matrices: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion: each chunk scores ``Σ 1 / (k + its rank)`` over the rankings.

    Combines retrievers whose scores have different scales, using ranks only.
    Used in: Part 4, Retrieval-augmented generation.
    """
    fused = np.zeros_like(score_matrices[0], dtype=float)
    for scores in score_matrices:
        ranks = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1) + 1
        fused += 1.0 / (k + ranks)
    return fused


def first_relevant_rank(
    scores: np.ndarray, chunk_section: np.ndarray, answers: np.ndarray
) -> np.ndarray:
    """For each question, the rank (1 = first) of the best-scored chunk of its answer section.

    Ties count against the answer: a chunk from elsewhere with an equal score ranks above it.
    Used in: Part 4, Retrieval-augmented generation.
    """
    relevant = chunk_section[None, :] == np.asarray(answers)[:, None]
    if not relevant.any(axis=1).all():
        raise ValueError("every question needs at least one chunk of its answer section.")
    best = np.where(relevant, scores, -np.inf).max(axis=1, keepdims=True)
    return 1 + ((scores >= best) & ~relevant).sum(axis=1)


def budget_hits(
    scores: np.ndarray, chunks: Chunks, answers: np.ndarray, budget_words: int
) -> np.ndarray:
    """1 where a chunk of the answer section is among the top chunks that fit in ``budget_words``.

    Chunks are taken in rank order while their words add up to at most the budget: the
    comparison of chunk sizes at equal prompt length. Used in: Part 4, Retrieval-augmented
    generation.
    """
    hits = np.zeros(len(scores), dtype=int)
    depth = min(len(chunks), budget_words)  # no more chunks than words fit in the budget
    for row, answer in enumerate(answers):
        top = np.argpartition(-scores[row], depth - 1)[:depth]
        top = top[np.argsort(-scores[row, top], kind="stable")]
        fits = np.cumsum(chunks.words[top]) <= budget_words
        hits[row] = int(np.any(chunks.section[top[fits]] == answer))
    return hits


def mean_interval(
    scores: np.ndarray, *, level: float = 0.95, resamples: int = 4000, seed: int = 0
) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of per-question scores with a percentile bootstrap interval.

    Used in: Part 4, Retrieval-augmented generation.
    """
    scores = np.asarray(scores, dtype=float)
    rng = np.random.default_rng(seed)
    means = scores[rng.integers(0, len(scores), (resamples, len(scores)))].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(scores.mean()), float(low), float(high)


RAG_TEMPLATE = PromptTemplate(
    instructions=(
        "Answer the question about Python using only the numbered passages from the "
        "Python documentation. Cite the passages you use, like [2]. If the passages do "
        "not contain the answer, say that you do not know."
    ),
    query="Passages:\n{passages}\n\nQuestion: {question}",
)


def build_prompt(
    question: str,
    passages: Sequence[str],
    budget: int,
    count: Callable[[str], int] = lambda text: len(text.split()),
    template: PromptTemplate = RAG_TEMPLATE,
) -> tuple[str, int]:
    """The prompt for ``question`` with as many of ``passages`` (best first) as fit in ``budget``.

    ``count`` measures a prompt's length (words by default; pass a tokenizer's count).
    Returns ``(prompt, number of passages used)``; raises ValueError if even the prompt
    without passages is over the budget. Used in: Part 4, Retrieval-augmented generation.
    """
    used: list[str] = []
    prompt = template.render(passages="(none)", question=question)
    if count(prompt) > budget:
        raise ValueError(
            f"the prompt alone takes {count(prompt)} > budget {budget}; raise the budget."
        )
    for passage in passages:
        numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate([*used, passage], start=1))
        candidate = template.render(passages=numbered, question=question)
        if count(candidate) > budget:
            break
        used.append(passage)
        prompt = candidate
    return prompt, len(used)
