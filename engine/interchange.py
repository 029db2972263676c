"""Diagrams as other modeling tools write them: timer literals and condition languages.

Camunda Modeler, Signavio and the BPMN MIWG reference files write what the BPMN standard
says, which is not what SpiffWorkflow 3.2.0 evaluates:

- a timer's value is a plain ISO 8601 literal (`PT2H`, `R1/P5D`, `2026-10-09T09:00:00`),
  where SpiffWorkflow wants an expression (`"PT2H"` with quotes). A literal it can read is
  quoted on import (`normalised_timer`); a date without an offset is read as Beijing time,
  the time every 一件事 deadline is kept in.
- a condition may be written in another expression language (FEEL, XPath, JUEL, Groovy),
  declared on the condition, on `<definitions>` (`expressionLanguage`) or only by its
  look (`${…}` is JUEL, a leading `=` is Camunda 8's FEEL). `condition_language` names it,
  so the analyst reads "unsupported expression language FEEL", not a Python syntax error.
  A FEEL condition that is a plain comparison of one variable with a literal is translated
  (`feel_to_python`); the translation is then checked by the safe expression engine like
  anything an analyst wrote.
"""

from __future__ import annotations

import re

from .expressions import check_expression
from .problems import UnsafeExpression
from .timers import TIMER_KINDS

PYTHON_LANGUAGES = {"", "python", "text/python", "text/x-python"}
# Readable names for the languages tools declare, matched on a lower-cased URI.
_LANGUAGE_NAMES = (
    ("feel", "FEEL"),
    ("xpath", "XPath"),
    ("groovy", "Groovy"),
    ("javascript", "JavaScript"),
    ("ecmascript", "JavaScript"),
    ("juel", "JUEL"),
    ("xhtml", "XHTML（自然语言文本）"),
)


def language_name(uri: str) -> str:
    lowered = uri.lower()
    return next((name for key, name in _LANGUAGE_NAMES if key in lowered), uri)


def condition_language(text: str | None, own: str | None, declared: str | None) -> str | None:
    """The non-Python language a condition is written in, or None when it is Python.

    `own` is the condition's `language` attribute, `declared` the document's
    `expressionLanguage`. A document-wide declaration is many tools' default and says
    little about a given condition: it counts only when the text is not a valid expression
    of ours. The condition's own attribute and the unmistakable JUEL/FEEL forms always count.
    """
    body = (text or "").strip()
    own = (own or "").strip()
    if not body:
        return None  # an empty condition carries no expression in any language
    if own.lower() not in PYTHON_LANGUAGES:
        return own
    if body.startswith(("${", "#{")):
        return "JUEL"
    if body.startswith("="):
        return "FEEL"
    if "getDataObject(" in body:
        return "XPath"  # the BPMN standard's XPath extension function
    if own:
        return None  # declared Python on the condition itself
    declared = (declared or "").strip()
    if declared.lower() in PYTHON_LANGUAGES:
        return None
    try:
        check_expression(body)
    except UnsafeExpression:
        return declared
    return None


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LITERAL = r'-?\d+(?:\.\d+)?|"[^"\\]*"|true|false'
_COMPARISON = re.compile(rf"^({_NAME})\s*(<=|>=|!=|=|<|>)\s*({_LITERAL})$")
_NEGATION = re.compile(rf"^not\s*\(\s*({_NAME})\s*\)$")
_KEYWORDS = {"true", "false", "null", "not", "and", "or", "in", "some", "every", "satisfies"}


def feel_to_python(text: str | None) -> str | None:
    """A FEEL condition as an equivalent expression of ours, or None if it is not simple.

    Only three shapes: `flag`, `not(flag)` and `name <op> literal` (number, string, true,
    false), with or without Camunda 8's leading `=`. Anything else (paths, lists, `some …
    satisfies`, names with spaces) is left to the analyst to rewrite.
    """
    body = (text or "").strip()
    if body.startswith("="):
        body = body[1:].strip()
    if re.fullmatch(_NAME, body) and body not in _KEYWORDS:
        return f"{body} == True"
    negated = _NEGATION.match(body)
    if negated and negated.group(1) not in _KEYWORDS:
        return f"{negated.group(1)} == False"
    compared = _COMPARISON.match(body)
    if not compared or compared.group(1) in _KEYWORDS:
        return None
    name, op, literal = compared.groups()
    literal = {"true": "True", "false": "False"}.get(literal, literal)
    return f"{name} {'==' if op == '=' else op} {literal}"


def normalised_timer(kind: str, text: str | None) -> str | None:
    """The quoted form of a standard, unquoted ISO 8601 timer literal; None to keep `text`.

    Only what looks like an ISO 8601 literal (starts with P, R or a digit, no spaces or
    quotes) is quoted; anything else stays as written and gets the usual checks.
    """
    if kind not in TIMER_KINDS:
        return None
    value = (text or "").strip()
    if not value or not re.fullmatch(r"[0-9A-Za-z:.,+\-/]+", value):
        return None
    if not any(ch.isdigit() for ch in value) or not re.match(r"[PpRr0-9]", value):
        return None  # a variable name such as pickup_at
    if kind == "timeDate" and "T" in value.upper() and not _has_offset(value):
        value += "+08:00"
    elif (
        kind == "timeDate" and "T" not in value.upper() and re.fullmatch(r"\d{4}-\d\d-\d\d", value)
    ):
        value += "T00:00:00+08:00"
    # Quoted even when unreadable or too long: the analyst then reads why (timers.py's
    # timer_value_problem), instead of a variable name failing in a running case.
    return f'"{value}"'


def _has_offset(value: str) -> bool:
    time_part = value.upper().partition("T")[2]
    return time_part.endswith("Z") or "+" in time_part or "-" in time_part
