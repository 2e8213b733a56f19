"""Project claims (认领): published by the branch, claimed once by a registered organisation of
that compound, reported solved."""

import pytest

from services.common.context import acting
from services.common.errors import InvalidInput, RuleViolated

BRANCH = "body:branch:x"


@pytest.fixture
def compounds(services):
    with acting("admin"):
        return [services.residents.register_compound(
            name=name, district="罗湖区", street="南湖街道", community="渔邨社区", households=300,
            residents=900).aggregate_id for name in ("渔邨小区", "向西小区")]


def test_a_published_project_is_claimed_once_and_solved(services, compounds):
    here, there = compounds
    b = services.branch
    with acting(BRANCH):
        volunteers = b.register_organisation(compound_id=here, name="南湖志愿者协会", kind="social_organisation")
        shop = b.register_organisation(compound_id=here, name="向西超市", kind="business")
        elsewhere = b.register_organisation(compound_id=there, name="外区公司", kind="business")
        project = b.publish_claimable(compound_id=here, title="修花坛", description="花坛破损", kind="project")
        with pytest.raises(RuleViolated, match="only a claimed item"):
            b.record_claim_solved(compound_id=here, claimable_id=project.aggregate_id, report="好了")
        with pytest.raises(RuleViolated, match="another compound"):
            b.record_claim(compound_id=here, claimable_id=project.aggregate_id,
                           organisation_id=elsewhere.aggregate_id)
        b.record_claim(compound_id=here, claimable_id=project.aggregate_id, organisation_id=volunteers.aggregate_id)
        with pytest.raises(RuleViolated, match="one organisation claims it"):
            b.record_claim(compound_id=here, claimable_id=project.aggregate_id, organisation_id=shop.aggregate_id)
        b.record_claim_solved(compound_id=here, claimable_id=project.aggregate_id, report="花坛修好")
    assert b.claimable(here, project.aggregate_id).state == "solved"


def test_bad_claims_input_is_refused_with_the_field(services, compounds):
    here, _ = compounds
    with acting(BRANCH):
        with pytest.raises(InvalidInput) as refused:
            services.branch.register_organisation(compound_id=here, name="某组织", kind="club")
        assert refused.value.field == "kind"
        with pytest.raises(InvalidInput) as refused:
            services.branch.publish_claimable(compound_id=here, title="x", description="x", kind="wish")
        assert refused.value.field == "kind"
        services.branch.register_organisation(compound_id=here, name="某组织", kind="other")
        with pytest.raises(RuleViolated, match="registered already"):
            services.branch.register_organisation(compound_id=here, name="某组织", kind="business")
