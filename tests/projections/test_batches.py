"""Views that apply a batch of events together leave the read models as applying the events one
after the other does, however the logs are split into batches and the bodies interleaved."""

from __future__ import annotations

import random
from msgspec.structs import replace
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import psycopg

from infra import stored
from infra.settings import Settings
from projections.projector import Projector, differences
from services.common.bodies import Body
from services.common.published import PublishedEvent


def refuse(cur, origin, reason):
    raise AssertionError(reason)


def build(settings: Settings, schema: str, batches: list[list]) -> None:
    projector = Projector(settings, schema=schema)
    projector.create_tables()
    with projector.connect() as conn:
        for batch in batches:
            with conn.transaction(), conn.cursor() as cur:
                projector.apply_events(cur, [(None, event) for event in batch], refuse)


def interleaved(logs: dict[Body, list], rng: random.Random) -> list:
    """The bodies' logs merged at random, each in its own order, as the topics arrive."""
    queues = {body: list(events) for body, events in logs.items() if events}
    merged = []
    while queues:
        body = rng.choice(sorted(queues))
        merged.append(queues[body].pop(0))
        if not queues[body]:
            del queues[body]
    return merged


def split(events: list, rng: random.Random, largest: int) -> list[list]:
    batches = []
    while events:
        size = rng.randint(1, largest)
        batches.append(events[:size])
        events = events[size:]
    return batches


def more_steps(logs: dict[Body, list], rng: random.Random) -> None:
    """Steps of cases the generated city has rarely or never, and several of them for a case in
    one batch at the same moment: ratings, withdrawals and reopenings of cases of their own (a
    resident's steps continue their case's versions), and every other body's step of those."""
    raised = [event for event in logs[Body.RESIDENTS] if event.type == "residents.CaseRaised"][:12]
    assert raised
    for template in raised:
        case, versions = uuid4(), iter(range(1, 100))
        moments = [template.occurred_at + timedelta(hours=hours) for hours in (0, 1, 1, 2)]

        def step(body: Body, name: str, **data) -> PublishedEvent:
            own = body is Body.RESIDENTS
            return replace(template, event_id=uuid4(), type=f"{body.value}.{name}", body=body,
                           aggregate_id=case if own else uuid4(), aggregate_version=next(versions) if own else 1,
                           occurred_at=rng.choice(moments), data=data if own else {"case_id": case, **data})

        logs[Body.RESIDENTS].append(replace(step(Body.RESIDENTS, "CaseRaised", **template.data),
                                            occurred_at=template.occurred_at))
        for _ in range(5):
            logs[Body.RESIDENTS].append(rng.choice([
                lambda: step(Body.RESIDENTS, "CaseRated", score=rng.randint(1, 5), comment=f"评价{rng.random()}"),
                lambda: step(Body.RESIDENTS, "CaseReopened", reason="又坏了"),
                lambda: step(Body.RESIDENTS, "CaseWithdrawn", reason="不用了"),
                lambda: step(Body.RESIDENTS, "CaseInformationAdded", text="补充"),
            ])())
        for _ in range(8):
            body, name, data = rng.choice([
                (Body.BRANCH, "CaseDispatched", {"taker": rng.choice(["property", "party_member"]),
                                                 "assignee": f"人{rng.randint(1, 9)}",
                                                 "dispatch_no": rng.randint(1, 3)}),
                (Body.BRANCH, "CaseAccepted", {}), (Body.BRANCH, "CaseRefused", {"reason": "不归我们"}),
                (Body.BRANCH, "CaseResolved", {"summary": "修好了"}),
                (Body.BRANCH, "CaseEscalated", {"tier": rng.choice(["community", "street"])}),
                (Body.BRANCH, "MediationConcluded", {"outcome": rng.choice(["agreement", "partial", "failed_referred"]),
                                                     "note": "调解"}),
                (Body.BRANCH, "CaseProgressRecorded", {"note": "进展"}),
                (Body.PROPERTY, "WorkOrderAccepted", {}), (Body.PROPERTY, "WorkOrderRefused", {"reason": "不修"}),
                (Body.PROPERTY, "WorkOrderResolved", {"summary": "换了"}),
            ])
            logs[body].append(step(body, name, **data))


def more_vote_steps(logs: dict[Body, list], rng: random.Random) -> None:
    """Steps of votes the generated city lacks, each its vote's next version: ballots delivered and
    corrected, objections lodged and answered."""
    votes = [event for event in logs[Body.OWNERS_COMMITTEE] if event.type == "owners_committee.AssemblyVoteOpened"]
    assert votes
    for opened in votes[:6]:
        version = max(e.aggregate_version for e in logs[Body.OWNERS_COMMITTEE] if e.aggregate_id == opened.aggregate_id)
        owners, units = opened.data["unit_owners"], opened.data["units"]
        for n in range(1, 9):
            owner, unit, on = rng.choice(owners), rng.choice(units), opened.occurred_at.date()
            name, data = rng.choice([
                ("BallotDelivered", {"owner": owner, "unit": unit, "method": rng.choice(["in_person", "post"]),
                                     "delivered_on": on, "recipient": owner}),
                ("BallotCorrected", {"owner": owner, "area": Decimal("88.50"), "choice": rng.choice(["yes", "no"]),
                                     "kind": rng.choice(["corrected", "late"]), "reason": "更正",
                                     "ballot_id": uuid4(), "receipt": f"更正{uuid4()}"}),
                ("VoteObjectionLodged", {"number": n, "owner": owner, "unit": unit, "lodged_on": on,
                                         "objection": "有异议"}),
                ("VoteObjectionAnswered", {"number": rng.randint(1, 2), "upheld": rng.random() < 0.5,
                                           "reason": "答复"}),
                ("AssemblyVoteCounted", {"voted_area": Decimal(n), "voted_owners": n, "yes_area": Decimal(n),
                                         "yes_owners": n, "no_area": Decimal(0), "no_owners": 0,
                                         "abstain_area": Decimal(0), "abstain_owners": 0, "valid": n % 2 == 0,
                                         "passed": n % 3 == 0, "reason": f"复核{n}", "occasion": "recount"}),
                ("AssemblyVoteFinalised", {"objections": n}),
            ])
            logs[Body.OWNERS_COMMITTEE].append(replace(
                opened, event_id=uuid4(), type=f"owners_committee.{name}", aggregate_version=version + n,
                occurred_at=opened.occurred_at + timedelta(days=n), data=data))


def more_payments(logs: dict[Body, list], rng: random.Random) -> None:
    """Payments of a bill in instalments, each the bill's next version: several in one batch."""
    bills = [event for event in logs[Body.PROPERTY] if event.type == "property.FeeBilled"]
    assert bills
    for bill in bills[:20]:
        version = max(e.aggregate_version for e in logs[Body.PROPERTY] if e.aggregate_id == bill.aggregate_id)
        for n in range(1, rng.randint(2, 4)):
            logs[Body.PROPERTY].append(replace(
                bill, event_id=uuid4(), type="property.FeePaid", aggregate_version=version + n,
                occurred_at=bill.occurred_at + timedelta(days=n),
                data={"amount": Decimal("12.34"), "paid_on": bill.occurred_at.date()}))


def more_governance(logs: dict[Body, list], rng: random.Random) -> None:
    """Steps of a compound's bodies the generated city has once at most, several for a compound
    (in one batch at times): committees elected again and dissolved, companies handed over and
    taken up, the branch leaving and leading again, a council seat taken twice; and the branch's
    joint meetings, recommendations, and evaluations scored and published again."""
    def first(body: Body, name: str) -> PublishedEvent:
        return next(e for e in logs[body] if e.type == f"{body.value}.{name}")

    def again(template: PublishedEvent, name: str, days: int, /, **data) -> PublishedEvent:
        body = template.body
        return replace(template, event_id=uuid4(), type=f"{body.value}.{name}", aggregate_id=uuid4(),
                       aggregate_version=1, occurred_at=template.occurred_at + timedelta(days=days), data=data)

    elected, taken_up = first(Body.OWNERS_COMMITTEE, "CommitteeElected"), first(Body.PROPERTY, "ServiceTakenUp")
    leads, seated = first(Body.BRANCH, "BranchLeadsCompound"), first(Body.RESIDENTS, "CouncilMemberSeated")
    opened = first(Body.BRANCH, "EvaluationOpened")
    branch, on = leads.data["branch_id"], leads.occurred_at.date()
    for days in range(1, 13):
        body, event = rng.choice([
            lambda: (Body.OWNERS_COMMITTEE, again(elected, "CommitteeElected", days, **{
                **elected.data, "members": [f"委员{days}", '引"号', "反\\斜"], "term_ends": on + timedelta(days=days)})),
            lambda: (Body.OWNERS_COMMITTEE, again(elected, "CommitteeDissolved", days, dissolved_on=on)),
            lambda: (Body.PROPERTY, again(taken_up, "ServiceTakenUp", days, **{
                **taken_up.data, "company_id": uuid4(), "company_name": f"物业{days}", "since": on})),
            lambda: (Body.PROPERTY, again(taken_up, "ServiceFeeDeclared", days, fee_per_m2=Decimal(days))),
            lambda: (Body.PROPERTY, again(taken_up, "ServiceHandedOver", days,
                                          company_id=taken_up.data["company_id"], until=on)),
            lambda: (Body.BRANCH, again(leads, "BranchLeftCompound", days)),
            lambda: (Body.BRANCH, again(leads, "BranchLeadsCompound", days, branch_id=branch)),
            lambda: (Body.RESIDENTS, again(seated, "CouncilMemberSeated", days, **{
                **seated.data, "role": f"角色{days}"})),
            lambda: (Body.BRANCH, again(leads, "JointMeetingHeld", days, branch_id=branch, held_on=on,
                                        topic="联席会议", bodies=["residents", "property"], attendees=[days, 2],
                                        decisions=['决定"一"', "决定{二}"])),
            lambda: (Body.BRANCH, again(leads, "CandidatesRecommended", days, branch_id=branch,
                                        recommended_to="owners_committee", candidates=["甲", "乙,丙"], note="推荐")),
        ])()
        logs[body].append(event)
    version = max(e.aggregate_version for e in logs[Body.BRANCH] if e.aggregate_id == opened.aggregate_id)
    for n in range(1, 7):
        name, data = rng.choice([
            ("EvaluationScored", {"rater_kind": rng.choice(["resident", "member"]), "score": rng.randint(1, 5)}),
            ("EvaluationPublished", {"average": Decimal(n), "residents": n, "members": 1, "verdict": f"结论{n}"}),
        ])
        logs[Body.BRANCH].append(replace(opened, event_id=uuid4(), type=f"branch.{name}",
                                         aggregate_version=version + n,
                                         occurred_at=opened.occurred_at + timedelta(days=n), data=data))


def test_any_split_into_batches_leaves_the_read_models_one_event_at_a_time_leaves(system):
    generated = system.siwei("bench", "generate", "--compounds", "24", "--seed", "5", timeout=600)
    assert generated.returncode == 0, generated.stderr[-3000:]
    with psycopg.connect(system.settings.database_url) as conn:
        logs = {body: [event for batch in stored.log(conn, body, 2**62, 1000) for event in batch] for body in Body}
    assert sum(map(len, logs.values())) > 1000
    for seed in range(3):
        rng = random.Random(seed)  # a fixed seed a run: the same steps and splits every run
        logs_now = {body: list(events) for body, events in logs.items()}
        more_steps(logs_now, rng)
        more_vote_steps(logs_now, rng)
        more_payments(logs_now, rng)
        more_governance(logs_now, rng)
        events = interleaved(logs_now, rng)
        build(system.settings, f"one_{seed}", [[event] for event in events])
        build(system.settings, f"together_{seed}", split(events, rng, largest=(10, 200, len(events))[seed]))
        assert differences(system.settings, f"one_{seed}", f"together_{seed}") == {}, seed
