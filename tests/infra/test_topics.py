"""The topics: made with Siwei's partition count, one found with another count reported, a
broker that does not answer a broker error, with nothing left running, and a message kafka-python
cannot parse holding up no reading of a partition's offsets."""

from __future__ import annotations

import threading
import time

import pytest
from kafka import KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from infra.embedded import free_port
from infra.topics import ensure_topics, high_watermarks, offsets_consumer, partitions_of, records_at, unparsable
from services.common.bodies import Body
from tests.conftest import NoUtf8


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


def test_a_message_kafka_python_cannot_parse_holds_up_no_reading_of_offsets(broker):
    # kafka-python 3.0.12 keeps a batch it failed to parse, and its next poll at the same position
    # never returned: asked for that record, or for the partition's end from there, it spun.
    tp = TopicPartition("unparsable", 0)
    ensure_topics(broker.bootstrap, 1, [tp.topic])
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for headers in ([], [], [(NoUtf8("k"), b"v")]):  # the last alone in its batch, at the end
        producer.send(tp.topic, value=b"x", headers=headers).get(timeout=10)
    producer.close()
    seen: dict[str, object] = {}

    def read() -> None:
        consumer = offsets_consumer(broker.bootstrap, "siwei-topics-test")
        probe = offsets_consumer(broker.bootstrap, "siwei-topics-probe")
        try:
            seen["record at 2"] = records_at(consumer, {tp: 2})
            seen["end after it"] = high_watermarks(consumer, [tp])
            seen["record at 1"] = [r.offset for r in records_at(consumer, {tp: 1}).values()]
            seen["2 unparsable"] = unparsable(probe, tp, 2)
            seen["end from the probe"] = high_watermarks(probe, [tp])
            seen["1 unparsable"] = unparsable(probe, tp, 1)
        finally:
            consumer.close()
            probe.close()

    reading = threading.Thread(target=read, daemon=True)  # a spinning poll would outlive the test
    reading.start()
    reading.join(60)
    assert not reading.is_alive(), f"a poll never returned; read so far: {seen}"
    assert seen == {"record at 2": {}, "end after it": {tp: 3}, "record at 1": [1], "2 unparsable": True,
                    "end from the probe": {tp: 3}, "1 unparsable": False}
