"""What an answer leaves behind in the API's process: nothing that only the garbage collector can
free. A reference cycle left by each request made the collector walk the requests in flight
hundreds of times a second, in pauses that every answer in flight waited through."""

from __future__ import annotations

import asyncio
import collections
import gc
import json

from api.app import create_app
from services.common.context import acting

PROFILE = """query ($id: UUID!) { compound(id: $id) { name district households bodies { branch fourInOne }
  branch { name } units { totalCount } } }"""
CASES = """query ($id: UUID!) { cases(compoundId: $id, first: 20) { totalCount
  edges { node { id state } } pageInfo { hasNextPage endCursor } } }"""
COVERAGE = '{ coverage(street: "晋阳街道") { compounds fourInOne withNone } }'
PAGE = """query ($after: String) { compounds(first: 1, after: $after) { totalCount
  edges { cursor node { name } } } }"""


def register(system, name: str, street: str):
    with acting("admin"):
        receipt = system.services.residents.register_compound(
            name=name, district="武侯区", street=street, community="晋阳社区", households=10, residents=30)
    system.wait_projected(receipt)
    return str(receipt.aggregate_id)


def test_answers_and_refusals_leave_no_reference_cycles(system):
    system.start_relay()
    system.start_projector()
    inside = register(system, "北苑小区", "晋阳街道")
    outside = register(system, "南苑小区", "簇桥街道")
    auditor = system.token("auditor:street:晋阳街道")
    admin = system.token("admin")
    asked = [(auditor, PROFILE, {"id": inside}), (auditor, CASES, {"id": inside}), (auditor, COVERAGE, {}),
             (admin, PAGE, {"after": None}), (auditor, PROFILE, {"id": outside})]
    app = create_app(system.settings)
    thresholds = gc.get_threshold()

    async def post(state: dict, token: str, query: str, variables: dict) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
                 "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": state,
                 "headers": [(b"host", b"siwei"), (b"content-type", b"application/json"),
                             (b"authorization", f"Bearer {token}".encode()),
                             (b"content-length", str(len(body)).encode())]}
        received = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive() -> dict:
            return received.pop() if received else await asyncio.Future()  # no disconnect while answering

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent[0]["status"] == 200
        return json.loads(b"".join(message.get("body", b"") for message in sent[1:]))

    async def answer_all() -> tuple[list[dict], list[object]]:
        async with app.router.lifespan_context(app) as state:
            state = dict(state or {})
            for token, query, variables in asked:  # what the API remembers is remembered first
                await post(state, token, query, variables)
            gc.collect()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                answers = [await post(state, token, query, variables) for token, query, variables in asked * 3]
                gc.collect()
                return answers, list(gc.garbage)
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                gc.enable()

    try:
        answers, garbage = asyncio.run(answer_all())
    finally:
        gc.unfreeze()  # what the API's start froze: this process is the tests'
        gc.set_threshold(*thresholds)
    profile, cases, coverage, page, refused = answers[:5]
    assert profile["data"]["compound"]["name"] == "北苑小区" and "errors" not in profile
    assert cases["data"]["cases"]["totalCount"] == 0 and coverage["data"]["coverage"]["compounds"] == 1
    assert page["data"]["compounds"]["totalCount"] == 2 and page["data"]["compounds"]["edges"][0]["cursor"]
    assert refused["data"]["compound"] is None and refused["errors"]
    left = collections.Counter(type(found).__qualname__ for found in garbage)
    assert not left, left.most_common(10)
