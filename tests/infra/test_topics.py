"""The topics: made with Siwei's partition count, and one found with another count reported."""

from __future__ import annotations

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
