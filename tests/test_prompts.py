"""The prompt template helper: fields, layout, validation, and the reply parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.prompts import PromptTemplate, ReplyError, parse_json_reply, template_fields


def _sentiment(**overrides):
    parts = dict(
        instructions="Classify the sentiment of the review.",
        query="Review: {review}",
        examples=[({"review": "Great value."}, '{"label": "positive"}')],
        output_format='JSON with key "label" ("positive" or "negative")',
    )
    parts.update(overrides)
    return PromptTemplate(**parts)


def test_template_fields_are_listed_once_in_order():
    assert template_fields("{a} and {b}, then {a} again") == ("a", "b")
    assert template_fields("no fields, {{literal braces}}") == ()


@pytest.mark.parametrize("template", ["{}", "{0}", "{a.b}", "{a[0]}", "unbalanced {a"])
def test_template_fields_reject_unnamed_and_malformed_fields(template):
    with pytest.raises(ValueError, match="template"):
        template_fields(template)


def test_render_lays_out_instructions_format_examples_and_query():
    prompt = _sentiment().render(review="Broke after a day.")
    assert prompt == (
        "Classify the sentiment of the review.\n\n"
        'Output format: JSON with key "label" ("positive" or "negative")\n\n'
        'Review: Great value.\nAnswer: {"label": "positive"}\n\n'
        "Review: Broke after a day.\nAnswer:"
    )


def test_render_without_examples_or_format_is_instructions_then_query():
    template = PromptTemplate(instructions="Translate to French.", query="English: {text}")
    assert template.render(text="cat") == "Translate to French.\n\nEnglish: cat\nAnswer:"
    assert template.fields == ("text",)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_render_inserts_any_text_verbatim_even_with_braces(text):
    prompt = PromptTemplate(instructions="Echo.", query="Text: {text}").render(text=text)
    assert prompt.endswith(f"Text: {text}\nAnswer:")


def test_render_names_missing_and_unexpected_fields():
    with pytest.raises(ValueError, match=r"missing \['review'\], unexpected \['text'\]"):
        _sentiment().render(text="hello")


def test_render_rejects_values_that_are_not_strings():
    with pytest.raises(TypeError, match="review"):
        _sentiment().render(review=3)


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"instructions": "  "}, ValueError, "instructions"),
        ({"query": "Review:"}, ValueError, "query"),
        ({"examples": [({"text": "x"}, "y")]}, ValueError, "example 1"),
        ({"examples": [({"review": "x"}, 1)]}, TypeError, "example 1"),
        ({"examples": ["not a pair"]}, TypeError, "example 1"),
        ({"examples": "a string"}, TypeError, "examples"),
        ({"output_format": 3}, TypeError, "output_format"),
    ],
)
def test_building_a_template_validates_its_parts(overrides, error, words):
    with pytest.raises(error, match=words):
        _sentiment(**overrides)


def test_parse_json_reply_accepts_an_object_inside_prose_or_a_code_fence():
    reply = 'Sure! ```json\n{"label": "negative", "reason": "broke"}\n``` Hope this helps.'
    parsed = parse_json_reply(reply, ["label"], choices={"label": ["positive", "negative"]})
    assert parsed == {"label": "negative", "reason": "broke"}


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("The review is negative.", "no JSON object"),
        ("{'label': 'negative'}", "does not parse"),
        ('{"sentiment": "negative"}', "lacks the keys"),
        ('{"label": "neutral"}', "must be one of"),
    ],
)
def test_parse_json_reply_rejects_replies_that_break_the_contract(reply, words):
    with pytest.raises(ReplyError, match=words):
        parse_json_reply(reply, ["label"], choices={"label": ["positive", "negative"]})


def test_reply_error_is_a_value_error_and_types_are_checked():
    assert issubclass(ReplyError, ValueError)
    with pytest.raises(TypeError, match="reply"):
        parse_json_reply(None, ["label"])
    with pytest.raises(TypeError, match="required_keys"):
        parse_json_reply("{}", "label")
