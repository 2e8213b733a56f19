"""Limits that keep one partner from starving the others: query depth and cost, page size
(``api.pagination.MAX_PAGE``), request size, and a rate per token."""

from __future__ import annotations

import time
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)

from api.pagination import DEFAULT_PAGE, MAX_PAGE

MAX_DEPTH = 10
MAX_COST = 5_000
MAX_BODY_BYTES = 64 * 1024
CACHED_DOCUMENTS = 512  # documents each worker keeps parsed, validated and checked


class CostLimit(ValidationRule):
    """Refuses operations that could touch more than ``MAX_COST`` objects: each field costs one
    per object its parent list may hold, and a connection multiplies what is under it by its
    page size (``first``, or the largest page when ``first`` is a variable)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
        root = self.context.schema.get_root_type(node.operation)
        cost = self._cost(node.selection_set, root, 1)
        if cost > MAX_COST:
            self.report_error(GraphQLError(
                f"this operation may cost {cost} (the limit is {MAX_COST}): ask for smaller pages "
                "or fewer nested lists",
                node, extensions={"code": "TOO_COSTLY", "cost": cost, "limit": MAX_COST}))

    def _cost(self, selections: SelectionSetNode, parent: GraphQLNamedType | None, multiplier: int) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", {})
                definition = fields.get(selection.name.value)
                if definition is None:  # introspection, or unknown (another rule reports it)
                    continue
                total += multiplier
                named = get_named_type(definition.type)
                inner = multiplier * _page_size(selection) if named.name.endswith("Connection") else multiplier
                if selection.selection_set:
                    total += self._cost(selection.selection_set, named, inner)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = self.context.schema.get_type(condition.name.value) if condition else parent
                total += self._cost(selection.selection_set, typed, multiplier)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.context.get_fragment(selection.name.value)
                if fragment is not None:
                    typed = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(fragment.selection_set, typed, multiplier)
        return total


def _page_size(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
    return DEFAULT_PAGE


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per bearer token: ``rate`` requests a second, bursts up to twice that."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, 2 * rate)
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, key: str) -> float:
        """0 if the request may go ahead; otherwise the seconds until it may."""
        now = time.monotonic()
        bucket = self._buckets.setdefault(key, _Bucket(self.capacity, now))
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
