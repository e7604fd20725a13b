"""Prompts as a programming interface: a template with named fields, few-shot examples
and an output contract, plus a parser that checks a model's reply against it.

Nothing here calls a model; the point is that the text sent to a model, and the text
that comes back, can be built and checked like any other function's input and output.

Used in: Part 1, From prompt to product.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PromptTemplate", "ReplyError", "parse_json_reply", "template_fields"]

_FORMATTER = string.Formatter()


class ReplyError(ValueError):
    """A model's reply does not follow the output format the prompt asked for."""


def template_fields(template: str) -> tuple[str, ...]:
    """The distinct ``{name}`` fields of ``template``, in order of first appearance.

    Raises TypeError if ``template`` is not a string and ValueError for unnamed
    (``{}``), numbered (``{0}``) or attribute (``{a.b}``) fields, or unbalanced braces.
    Used in: Part 1, From prompt to product (through :class:`PromptTemplate`).
    """
    if not isinstance(template, str):
        raise TypeError(f"template must be a str, got {type(template).__name__}.")
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise ValueError(f"template has unbalanced braces ({error}): {template!r}") from None
    names: list[str] = []
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(
                f"template fields must be names such as {{review}}, got {{{name}}} in {template!r}."
            )
        if name not in names:
            names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class PromptTemplate:
    """Instructions, an optional output format, few-shot examples and a query template.

    ``query`` is a string with named fields, such as ``"Review: {review}"``. Each
    example is a pair ``(values, answer)``: the field values of one solved case and
    the answer the model should give. :meth:`render` lays the parts out as

    .. code-block:: text

        <instructions>

        Output format: <output_format>

        <query filled with example 1>
        Answer: <answer 1>
        ...

        <query filled with the values given>
        Answer:

    Raises TypeError/ValueError when built with parts of the wrong type or examples
    whose fields do not match the query.
    Used in: Part 1, From prompt to product.
    """

    instructions: str
    query: str
    examples: Sequence[tuple[Mapping[str, str], str]] = field(default_factory=tuple)
    output_format: str | None = None
    answer_prefix: str = "Answer:"

    def __post_init__(self) -> None:
        for name in ("instructions", "answer_prefix"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty str, got {value!r}.")
        if self.output_format is not None and not isinstance(self.output_format, str):
            raise TypeError(
                f"output_format must be a str or None, got {type(self.output_format).__name__}."
            )
        if not template_fields(self.query):
            raise ValueError(f"query must contain at least one {{field}}, got {self.query!r}.")
        if isinstance(self.examples, (str, bytes)) or not isinstance(self.examples, Sequence):
            raise TypeError(
                f"examples must be a sequence of (values, answer) pairs, got {type(self.examples).__name__}."
            )
        examples = tuple(self.examples)
        for number, example in enumerate(examples, start=1):
            if not (isinstance(example, tuple) and len(example) == 2):
                raise TypeError(
                    f"example {number} must be a (values, answer) pair, got {example!r}."
                )
            values, answer = example
            if not isinstance(answer, str):
                raise TypeError(f"example {number}: answer must be a str, got {answer!r}.")
            self._check_values(values, where=f"example {number}")
        object.__setattr__(self, "examples", examples)

    @property
    def fields(self) -> tuple[str, ...]:
        """The names the query needs, such as ``("review",)``."""
        return template_fields(self.query)

    def _check_values(self, values: Mapping[str, Any], *, where: str) -> None:
        if not isinstance(values, Mapping):
            raise TypeError(
                f"{where}: values must be a mapping of field names to str, got {values!r}."
            )
        missing = [name for name in self.fields if name not in values]
        extra = [name for name in values if name not in self.fields]
        if missing or extra:
            raise ValueError(
                f"{where}: the query needs fields {list(self.fields)}; "
                f"missing {missing}, unexpected {extra}."
            )
        for name, value in values.items():
            if not isinstance(value, str):
                raise TypeError(
                    f"{where}: field {name!r} must be a str, got {type(value).__name__}."
                )

    def render(self, **values: str) -> str:
        """The full prompt for one query; every field of the query must be given, as a str."""
        self._check_values(values, where="render")
        blocks = [self.instructions.strip()]
        if self.output_format:
            blocks.append(f"Output format: {self.output_format.strip()}")
        for example_values, answer in self.examples:
            blocks.append(f"{self.query.format(**example_values)}\n{self.answer_prefix} {answer}")
        blocks.append(f"{self.query.format(**values)}\n{self.answer_prefix}")
        return "\n\n".join(blocks)


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def parse_json_reply(
    reply: str,
    required_keys: Sequence[str],
    *,
    choices: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """The JSON object in a model's ``reply``, checked against the output contract.

    Accepts an object surrounded by other text or a code fence (models often add
    them). Raises :class:`ReplyError` (a ValueError) when there is no parsable
    object, a required key is missing, or a value is not among its ``choices``;
    TypeError if ``reply`` is not a str.
    Used in: Part 1, From prompt to product.
    """
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a str, got {type(reply).__name__}.")
    if isinstance(required_keys, str) or not all(isinstance(k, str) for k in required_keys):
        raise TypeError(f"required_keys must be a sequence of str, got {required_keys!r}.")
    match = _JSON_OBJECT.search(reply)
    if match is None:
        raise ReplyError(f"no JSON object in the reply: {reply[:80]!r}")
    try:
        parsed = json.loads(match.group(0))
    except json.JSONDecodeError as error:
        raise ReplyError(
            f"the reply's JSON does not parse ({error.msg}): {match.group(0)[:80]!r}"
        ) from None
    if not isinstance(parsed, dict):
        raise ReplyError(f"expected a JSON object, got {type(parsed).__name__}.")
    missing = [key for key in required_keys if key not in parsed]
    if missing:
        raise ReplyError(f"the reply lacks the keys {missing}; it has {sorted(parsed)}.")
    for key, allowed in (choices or {}).items():
        if key in parsed and parsed[key] not in allowed:
            raise ReplyError(f"{key!r} must be one of {list(allowed)}, got {parsed[key]!r}.")
    return parsed
