"""Every view the projector maintains."""

from __future__ import annotations

from projections.assembly.view import AssemblyView
from projections.cases.view import CasesView
from projections.claims.view import ClaimsView
from projections.compounds.view import CompoundsView
from projections.governance.view import GovernanceView
from projections.money.view import MoneyView
from projections.powers.view import PowersView
from projections.projects.view import ProjectsView
from projections.property_companies.view import PropertyCompaniesView
from projections.streets.view import StreetsView
from projections.view import View


def all_views() -> list[View]:
    return [CompoundsView(), PropertyCompaniesView(), CasesView(), ClaimsView(), ProjectsView(),
            AssemblyView(), MoneyView(), GovernanceView(), PowersView(), StreetsView()]
