"""The GraphQL schema, composed from each domain's queries and mutations."""

from __future__ import annotations

import strawberry

from api.compounds.mutations import CompoundMutations
from api.compounds.queries import CompoundQueries
from api.property.mutations import PropertyMutations
from api.property.queries import PropertyQueries
from api.viewer import ViewerQueries


@strawberry.type
class Query(ViewerQueries, CompoundQueries, PropertyQueries):
    pass


@strawberry.type
class Mutation(CompoundMutations, PropertyMutations):
    pass


schema = strawberry.Schema(query=Query, mutation=Mutation)
