"""The API's input boundary: every text a request carries (in its variables or written in its
document), for any argument of any query or mutation, and every Decimal, is checked before any
resolver runs. A text that breaks the rules of ``services.common.inputs``, or a number that is
not finite, is a GraphQL error with code ``INVALID_INPUT`` naming where it was, and nothing
runs; texts in variables go on in NFC. Field-specific rules (length, one line, decimals, ranges)
are the services' own, answered as ``InvalidInput``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from typing import Any

from collections.abc import Iterator

from graphql import ArgumentNode, DocumentNode, FloatValueNode, GraphQLError, IntValueNode, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.schema.types import scalar as base_scalars
from strawberry.types.scalar import ScalarDefinition, scalar

from api.limits import CACHED_DOCUMENTS
from services.common.inputs import BadText, clean_text

MAX_DIGITS = 40  # far beyond any area or sum of money; bounds the work a number can cause


def _refused(where: str, problem: BadText) -> GraphQLError:
    return GraphQLError(f"{where}: the text {problem}", extensions={"code": "INVALID_INPUT", "field": where})


def _checked(value: Any, where: str) -> Any:
    """A variable's value with its texts checked and in NFC."""
    if isinstance(value, str):
        try:
            return clean_text(value)
        except BadText as problem:
            raise _refused(where, problem) from None
    if isinstance(value, dict):
        return {key: _checked(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_checked(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


class _Literals(Visitor):
    """The document's own string values, each checked under the argument it belongs to."""

    def __init__(self) -> None:
        super().__init__()
        self.arguments: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.arguments.append(node.name.value)

    def leave_argument(self, *_: Any) -> None:
        self.arguments.pop()

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        where = self.arguments[-1] if self.arguments else "the document"
        try:
            clean_text(node.value)
        except BadText as problem:
            raise _refused(where, problem) from None


_sound: dict[str, None] = {}  # documents whose texts passed, the oldest first (clients ask the same few)


class CheckTexts(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.variables:
            context.variables = {name: _checked(value, f"${name}") for name, value in context.variables.items()}
        if isinstance(context.graphql_document, DocumentNode) and context.query not in _sound:
            visit(context.graphql_document, _Literals())
            if context.query is not None:
                _sound[context.query] = None
                if len(_sound) > CACHED_DOCUMENTS:
                    del _sound[next(iter(_sound))]
        yield


def _decimal(value: Any) -> decimal.Decimal:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise GraphQLError("a Decimal is a number, or a string such as \"80.25\"")
    text = str(value).strip()
    try:
        number = decimal.Decimal(text) if len(text) <= MAX_DIGITS else None
    except decimal.DecimalException:
        number = None
    if number is None or not number.is_finite():
        raise GraphQLError(f"a Decimal must be a finite number of at most {MAX_DIGITS} characters",
                           extensions={"code": "INVALID_INPUT"})
    return number


def _decimal_literal(node: Any, _variables: Any = None) -> decimal.Decimal:
    if not isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        raise GraphQLError("a Decimal is a number, or a string such as \"80.25\"")
    return _decimal(node.value)


CheckedDecimal: ScalarDefinition = scalar(
    name="Decimal", description="Decimal (fixed-point): a number, or a string such as \"80.25\"",
    serialize=str, parse_value=_decimal, parse_literal=_decimal_literal)

def _coded(definition: ScalarDefinition) -> ScalarDefinition:
    """The library's scalar, its refusals coded ``INVALID_INPUT`` (the message names the argument)."""
    parse = definition.parse_value

    def parse_value(value: Any) -> Any:
        try:
            return parse(value)
        except Exception as error:  # noqa: BLE001 - whatever the parser raised, it is the caller's value
            raise GraphQLError(f"{error}", extensions={"code": "INVALID_INPUT"}) from None

    return dataclasses.replace(definition, parse_value=parse_value, parse_literal=None)


SCALAR_OVERRIDES: dict[object, Any] = {
    decimal.Decimal: CheckedDecimal,
    **{kind: _coded(base_scalars.DEFAULT_SCALAR_REGISTRY[kind]) for kind in (uuid.UUID, dt.date, dt.datetime)},
}
