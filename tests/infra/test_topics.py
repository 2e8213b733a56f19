"""The topics: made with Siwei's partition count, one found with another count reported, and a
broker that does not answer a broker error, with nothing left running."""

from __future__ import annotations

import threading
import time

import pytest
from kafka.errors import KafkaError

from infra.embedded import free_port
from infra.topics import ensure_topics, offsets_consumer, partitions_of
from services.common.bodies import Body


def test_topics_are_made_with_the_partition_count_and_another_count_found_is_reported(broker):
    assert ensure_topics(broker.bootstrap, 3, [Body.BRANCH.topic]) == []
    assert ensure_topics(broker.bootstrap, 5, [Body.RESIDENTS.topic]) == []
    assert ensure_topics(broker.bootstrap, 3) == [f"{Body.RESIDENTS.topic} has 5 partitions, not 3"]
    consumer = offsets_consumer(broker.bootstrap, "siwei-topics-test")
    try:
        counts = {body: len(partitions_of(consumer, body.topic)) for body in Body}
    finally:
        consumer.close()
    assert counts == {Body.BRANCH: 3, Body.RESIDENTS: 5, Body.OWNERS_COMMITTEE: 3, Body.PROPERTY: 3}


def test_a_broker_that_does_not_answer_is_a_broker_error_and_leaves_no_thread_behind():
    absent = f"127.0.0.1:{free_port()}"  # nothing listens there
    before = {thread.ident for thread in threading.enumerate()}
    for _ in range(2):  # as a part waiting for its broker tries again
        with pytest.raises(KafkaError):
            ensure_topics(absent, 3)
    time.sleep(0.5)  # a stopped network thread's last loop
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []
