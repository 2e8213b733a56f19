"""What an operator's tools ask: /healthz, /readyz and /metrics on the API, and ``siwei status``."""

from __future__ import annotations

import re

import httpx

from tests.conftest import graphql, wait_until

REGISTER = """mutation($name: String!) { registerCompound(input: {name: $name, district: "武侯区", street: "晋阳街道",
  community: "晋阳社区", households: 10, residents: 20}) { __typename } }"""


def test_health_readiness_metrics_and_status_say_how_each_part_is(system):
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    base = url.removesuffix("/graphql")
    admin = system.token("admin")

    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    for name, expected in (("北苑小区", "Recorded"), ("北苑小区", "RuleViolated")):
        assert graphql(url, admin, REGISTER, {"name": name}).json()["data"]["registerCompound"]["__typename"] == expected
    wait_until(lambda: httpx.get(f"{base}/readyz").json()["checks"].get("projector") == "ok, 0 events behind",
               "the projector to read the compound")
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200 and ready.json()["ready"]
    assert ready.json()["checks"] == {"postgresql": "ok", "broker": "ok", "projector": "ok, 0 events behind"}

    metrics = httpx.get(f"{base}/metrics").text
    for line in ('siwei_commands_total{mutation="registerCompound",outcome="Recorded"} 1.0',
                 'siwei_commands_total{mutation="registerCompound",outcome="RuleViolated"} 1.0',
                 'siwei_relay_published_events{body="residents"} 1.0',
                 'siwei_relay_lag_events{body="residents"} 0.0',
                 'siwei_reader_processes{reader="projector"} 1.0',
                 'siwei_dead_letters{reader="projector"} 0.0'):
        assert line in metrics, line
    assert re.search(r'siwei_reader_lag_events\{partition="\d",reader="projector",topic="siwei.residents.events"\} 0.0',
                     metrics)
    serving = system.query("SELECT schema, version FROM projections.serving")[0]
    assert f'siwei_read_models_serving_info{{schema="{serving[0]}",version="{serving[1]}"}} 1.0' in metrics
    assert 'siwei_view_version_info{version="' in metrics and "siwei_api_request_seconds_bucket" in metrics

    shown = system.siwei("status")
    assert shown.returncode == 0, shown.stderr
    assert "residents         published 1 of 1, 0 behind" in shown.stdout
    assert f"Read models: serving {serving[0]} (version {serving[1]}" in shown.stdout
    assert "projector (" in shown.stdout and ": 0 behind, 0 set aside" in shown.stdout

    # The projector gone: not ready (its process no longer renews its place), and status says so.
    system.kill("projector")
    wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 503, "the API to say it is not ready", timeout=30)
    assert httpx.get(f"{base}/readyz").json()["checks"]["projector"] == "not running"
    assert "no process running" in system.siwei("status").stdout
    assert httpx.get(f"{base}/healthz").status_code == 200
