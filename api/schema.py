"""The GraphQL schema, composed from each domain's queries and mutations, with rights enforced
on every field and the abuse limits applied to every operation."""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLResolveInfoHelpers, parse, specified_rules
from strawberry.extensions import MaskErrors, QueryDepthLimiter, SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.types import ExecutionContext

from api.assembly.schema import AssemblyMutations, AssemblyQueries
from api.audit.schema import AccessQueries, AuditQueries, GiveBackAsOf
from api.cases.figures import CaseFigureQueries
from api.cases.mutations import CaseMutations
from api.cases.queries import CaseQueries
from api.claims.schema import ClaimMutations, ClaimQueries
from api.compounds.mutations import CompoundMutations
from api.compounds.queries import CompoundQueries
from api.enforcement import EnforceRights
from api.governance.schema import GovernanceMutations, GovernanceQueries
from api.limits import CACHED_DOCUMENTS, MAX_DEPTH, CostLimit
from api.money.schema import MoneyMutations, MoneyQueries
from api.outage import MESSAGE, RETRY_SECONDS
from api.pagination import InvalidPage
from api.projects.schema import ProjectMutations, ProjectQueries
from api.street.figures import StreetFigureQueries
from api.street.grades import GradeQueries
from api.street.problems import ProblemMutations, ProblemQueries
from api.property.mutations import PropertyMutations
from api.property.queries import PropertyQueries
from api.inputs import SCALAR_OVERRIDES, CheckTexts
from api.viewer import ViewerQueries
from infra.database import database_away


log = logging.getLogger("siwei.api")


@strawberry.type
class Query(ViewerQueries, CompoundQueries, PropertyQueries, CaseQueries, CaseFigureQueries,
            ClaimQueries, ProjectQueries, AssemblyQueries, MoneyQueries, GovernanceQueries, StreetFigureQueries,
            ProblemQueries, GradeQueries, AuditQueries, AccessQueries):
    pass


@strawberry.type
class Mutation(CompoundMutations, PropertyMutations, CaseMutations, ClaimMutations, ProjectMutations,
               AssemblyMutations, MoneyMutations, GovernanceMutations, ProblemMutations):
    pass


def is_unexpected(error: GraphQLError) -> bool:
    """Errors the client may read: its own mistakes and refusals. Anything else is ours and is
    masked, so that no internal detail reaches a partner."""
    original = error.original_error
    return original is not None and not isinstance(original, (InvalidPage, GraphQLError))


class MaskFaults(MaskErrors):
    """Our faults reach a partner as "Unexpected error.", but the database away as what it is:
    ``UNAVAILABLE``, with when to retry (``api.outage``)."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if not database_away(error.original_error):
            return super().anonymise_error(error)
        return GraphQLError(MESSAGE, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, extensions={"code": "UNAVAILABLE", "retryAfter": RETRY_SECONDS})


VALIDATION_RULES = (*specified_rules, *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules, CostLimit)


@functools.lru_cache(maxsize=CACHED_DOCUMENTS)
def _parsed(query: str) -> DocumentNode:
    return parse(query)


@functools.lru_cache(maxsize=CACHED_DOCUMENTS)
def _validated(query: str) -> list[GraphQLError]:
    return validate_document(schema._schema, _parsed(query), VALIDATION_RULES)  # noqa: SLF001 (graphql-core's schema)


class Documents(SchemaExtension):
    """Partners send the same few documents again and again: each is parsed and validated (with
    the abuse limits' rules) once, and found again by its text. Bounded, so odd documents cannot
    grow it. Strawberry's ParserCache and ValidationCache with AddValidationRules did the same in
    three hooks a request, the second finding a document by hashing its whole syntax tree."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:  # else Strawberry says what is missing
            context.graphql_document = _parsed(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validated(context.query)
        yield


class Execution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, leaving no reference cycle behind a request. graphql-core keeps the
    helpers it hands to resolvers as bound methods of the executor itself: a cycle a request, with
    everything of the request it reaches, that only the garbage collector frees. With sixteen
    requests in flight, its collections (gathering the requests' objects into the oldest
    generation, then walking it) were pauses of 5 to 28 ms, every answer in flight waiting: most of
    the queries' p99. Here the helpers hold the executor weakly: made once a request, not once a
    field (a hundred rows of a street's figures are some 1,500 fields)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executor = weakref.ref(self)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=lambda values: executor().gather_async_work(values),
            track=lambda values: executor().track_async_work(values))


class SiweiSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """A fault is logged with its traceback; a client's mistake not at all (the answer says
        it); a refusal was logged in one line where it was decided (``api.enforcement``)."""
        for error in errors:
            if database_away(error.original_error):
                log.warning("a query could not reach the database: %s", error.original_error)
            elif is_unexpected(error):
                log.error("%s", error, exc_info=error.original_error)
            # Logged: the tracebacks go, which hold the frames that hold the errors (a cycle a refusal).
            error.__traceback__ = None
            if error.original_error is not None:
                error.original_error.__traceback__ = None


schema = SiweiSchema(
    query=Query,
    mutation=Mutation,
    scalar_overrides=SCALAR_OVERRIDES,
    execution_context_class=Execution,
    extensions=[  # factories: each request gets fresh extensions
        CheckTexts,
        EnforceRights,
        GiveBackAsOf,
        lambda: MaskFaults(should_mask_error=is_unexpected, error_message="Unexpected error."),
        Documents,
    ],
)
