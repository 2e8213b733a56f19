"""The demo `siwei up` seeds, run against the real servers with the reactor beside it: what it
promises is there and queryable (Beiyuan's decisions and money; compounds of every shape, and the
street's coverage and ratings), and seeding twice changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

from kafka import KafkaConsumer

from infra.demo import seed
from services.common.bodies import Body
from services.common.context import china_date
from services.common.personal import tokens_in
from tests.conftest import graphql, wait_until

STREET = """{ coverage(street: "晋阳街道") { compounds withBranch withOwnersCommittee withPropertyCompany fourInOne
    twoNone withNone }
  ratingDistribution(street: "晋阳街道") { branches bands { stars branches } }
  overdueItems(street: "晋阳街道") { edges { node { compoundName kind subject } } }
  twoNone: compounds(street: "晋阳街道", shape: TWO_NONE) { edges { node { name branch { name mode } } } }
  beiyuan: compounds(street: "晋阳街道", shape: FOUR_IN_ONE) { edges { node { name
    starRating { members participatingMembers satisfaction stars evidence { totalCount } }
    crossAppointments { member body matched } latestEvaluation { sheets verdict } } } } }"""


def test_the_demo_seeds_beiyuan_with_its_decisions_and_money(system):
    system.start_relay()
    system.start("reactor", "react")
    system.start_projector()
    url = system.start_api()
    seed(system.services)
    stored = {body: system.count(f"{body.schema}.{body.value}_events") for body in Body}
    seed(system.services)
    assert {body: system.count(f"{body.schema}.{body.value}_events") for body in Body} == stored

    def projected() -> bool:
        fees = system.query("SELECT count(*) FROM projections.fee_bills")
        return bool(fees) and fees[0][0] == 16 and system.query(
            "SELECT count(*) FROM projections.assembly_votes WHERE passed IS NOT NULL")[0][0] == 4 and system.query(
            "SELECT count(*) FROM projections.evaluations WHERE published_at IS NOT NULL")[0][0] == 1

    wait_until(projected, "the demo to be projected")
    ((state, budget, actual, savings),) = system.query(
        "SELECT state, budget, actual, savings FROM projections.projects")
    assert (state, budget, actual, savings) == ("settled", Decimal("36000"), Decimal("34500"), Decimal("1500"))
    assert system.query("SELECT seats, yes, passed FROM projections.council_votes ORDER BY number") == [
        (37, 24, False), (37, 25, True)]
    assert system.query("SELECT count(*) FROM projections.council_vote_members WHERE vote IS NOT NULL")[0][0] == 74
    assert system.query("SELECT v.matter, o.upheld FROM projections.vote_objections o"
                        " JOIN projections.assembly_votes v USING (vote_id)") == [("use_maintenance_fund", False)]
    assert set(system.query("SELECT stage FROM projections.assembly_votes")) == {("final",)}
    assert system.query("SELECT building, count(*), sum(share) FROM projections.fund_shares GROUP BY building") == [
        ("2栋", 2, Decimal("12500.00"))]
    votes = dict(system.query("SELECT matter, passed FROM projections.assembly_votes"))
    assert votes == {"hire_property_company": True, "use_maintenance_fund": True, "change_common_parts": False,
                     "elect_committee": True}
    ((company, resolution_passed),) = system.query(
        "SELECT c.company_name, v.passed FROM projections.service_contracts c JOIN projections.assembly_votes v"
        " ON v.vote_id = c.resolution_id WHERE c.terminated_on IS NULL")
    assert (company, resolution_passed) == ("成都晋阳物业服务有限公司", True)
    rates = dict(system.query("SELECT period, sum(paid) / sum(amount) FROM projections.fee_bills GROUP BY period"))
    earlier, later = sorted(rates)  # two months under the contract
    assert rates[earlier] > rates[later] > 0

    street = graphql(url, system.token("auditor:street:晋阳街道"), STREET).json()["data"]
    assert street["coverage"] == {"compounds": 5, "withBranch": 4, "withOwnersCommittee": 1,
                                  "withPropertyCompany": 3, "fourInOne": 1, "twoNone": 2, "withNone": 0}
    assert street["ratingDistribution"]["branches"] == 3  # 东苑 and 西苑 share one joint branch
    assert sorted((e["node"]["compoundName"], e["node"]["kind"]) for e in street["overdueItems"]["edges"]) == [
        ("北苑小区", "supervision_notice"), ("红运花园", "suggestion")]
    assert [(e["node"]["name"], e["node"]["branch"]["mode"]) for e in street["twoNone"]["edges"]] == [
        ("东苑小区", "joint"), ("西苑小区", "joint")]
    (beiyuan,) = [e["node"] for e in street["beiyuan"]["edges"]]
    assert beiyuan["name"] == "北苑小区" and beiyuan["latestEvaluation"] == {"sheets": 9, "verdict": "satisfied"}
    assert sorted((c["member"], c["body"], c["matched"]) for c in beiyuan["crossAppointments"]) == [
        ("王建国", "owners_committee", True), ("田景余", "residents", True)]
    assert beiyuan["starRating"]["members"] == 5 and beiyuan["starRating"]["evidence"]["totalCount"] > 5

    # The street's months of requests: each figure has something to count; lifts recur across
    # compounds and were taken up as a month's problem.
    wait_until(lambda: system.query("SELECT count(*) FROM projections.cases")[0][0] >= 47
               and system.query("SELECT count(*) FROM projections.monthly_problems")[0][0] == 1,
               "the street's cases to be projected")
    years = [str(china_date(datetime.now(tz=timezone.utc)).year - n) for n in (1, 0)]  # the five months' years
    office = system.token("office:street:晋阳街道")
    street, raised = {"raised": 0, "reopened": 0, "repeated": 0}, {}
    for year in years:
        found = graphql(url, office, """query($y: String!) { areaFigures(period: $y, level: STREET) { edges { node {
          raised reopened repeated response { numerator denominator } resolution { numerator denominator }
          onTime { numerator denominator } } } } }""", {"y": year}).json()
        for node in (e["node"] for e in found["data"]["areaFigures"]["edges"]):
            raised[year] = node["raised"]
            for name, value in node.items():
                if isinstance(value, dict):
                    counted = street.setdefault(name, {"numerator": 0, "denominator": 0})
                    counted["numerator"] += value["numerator"]
                    counted["denominator"] += value["denominator"]
                else:
                    street[name] += value
    assert street["raised"] >= 45 and street["reopened"] > 0 and street["repeated"] > 0
    for rate in ("response", "resolution", "onTime"):
        assert 0 < street[rate]["numerator"] < street[rate]["denominator"], (rate, street[rate])
    figures = graphql(url, office, """query($y: String!) {
      compounds: areaFigures(period: $y) { edges { node { name score rank classes } } }
      problems: problemCandidates(period: $y) { edges { node { category area } } }
      monthlyProblems(street: "晋阳街道") { area followUp { cases } }
      companyGrades(period: $y) { edges { node { companyName score grade } } } }""",
                      {"y": max(years, key=lambda y: raised.get(y, 0))}).json()
    assert "errors" not in figures, figures
    ranked = [e["node"] for e in figures["data"]["compounds"]["edges"]]
    assert len(ranked) == 5 and ranked[0]["rank"] == 1 and "先进" in ranked[0]["classes"]
    assert figures["data"]["problems"]["edges"][0]["node"] == {"category": "repairs", "area": "电梯"}
    (chosen,) = figures["data"]["monthlyProblems"]
    assert chosen["area"] == "电梯" and chosen["followUp"][0]["cases"] > 0
    grades = [e["node"] for e in figures["data"]["companyGrades"]["edges"]]
    assert {g["companyName"] for g in grades} >= {"成都红运物业服务有限公司", "成都金雁物业管理有限公司"}
    assert all(g["grade"] in "ABCD" for g in grades)


def test_after_the_demo_no_personal_value_rests_in_clear_in_a_store_a_topic_or_a_view(system):
    system.start_relay()
    system.start("reactor", "react")
    system.start_projector()
    seed(system.services)
    wait_until(lambda: system.query("SELECT count(*) FROM projections.fee_bills")[0][0] == 16,
               "the demo to be projected")
    keys = system.services.residents.personal_keys
    tokens = {t for body in Body for row in system.query(f"SELECT state FROM {body.schema}.{body.value}_events")
              for t in tokens_in(json.loads(bytes(row[0])))}
    public = {name for (name,) in system.query(
        "SELECT name FROM projections.property_companies UNION SELECT name FROM projections.organisations")}
    values = {v for v in keys.shown(sorted(tokens)) if len(v) >= 2 and v not in public} - {"[erased]"}
    assert len(values) > 40 and {"张明", "田景余"} <= {v for value in values for v in value.split()}

    # Every row of every table Siwei keeps (stored bytes as the JSON they hold), but the keys.
    found: list[str] = []
    for schema, table in system.query(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema') AND (table_schema, table_name)"
            " <> ('personal', 'keys')"):
        for (row,) in system.query(f'SELECT to_jsonb(t) FROM "{schema}"."{table}" t'):
            text = json.dumps(row, ensure_ascii=False) + "".join(
                readable(value) for value in row.values() if isinstance(value, str) and value.startswith("\\x"))
            found += [f"{schema}.{table}: {v}" for v in values if v in text]
    consumer = KafkaConsumer(bootstrap_servers=system.settings.kafka_bootstrap, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000)
    consumer.subscribe([body.topic for body in Body])
    for message in consumer:
        raw = message.value + b"".join(value for _, value in message.headers)
        found += [f"topic {message.topic}: {v}" for v in values if v.encode() in raw]
    consumer.close()
    assert not found, found[:20]


def readable(hex_bytes: str) -> str:
    """Stored bytes as text: JSON with its escapes undone, where they are JSON."""
    raw = bytes.fromhex(hex_bytes[2:])
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw.decode("utf-8", "replace")
