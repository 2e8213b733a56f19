"""The four bodies' topics: created when missing, kept forever (they are the replayable stream
integrations and rebuilds read), replicated as widely as the cluster allows up to three.

Only ``ensure_topics`` creates them: every client here is built with ``NO_TOPIC_CREATION``, so a
broker that lost its topics never gets them back with its own default partition count. A topic's
identity is its id (Kafka's since 2.8, Tansu's too): one found under another id was made again."""

from __future__ import annotations

import contextlib
import logging
import time
from uuid import UUID

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.admin import NewTopic
from kafka.errors import CorruptRecordError, KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.net.compat import KafkaNetClient

from services.common.bodies import Body

log = logging.getLogger(__name__)

TOPIC_CONFIG = {"retention.ms": "-1", "cleanup.policy": "delete"}
ADMIN_BOOTSTRAP_SECONDS = 5.0
FETCH_AT_ONCE_MS = 10  # how long the broker may hold a fetch of the offsets consumer for new messages


class _WithoutTopicCreation(KafkaNetClient):
    """kafka-python's network client, its metadata requests asking the broker to create nothing.
    kafka-python 3.0.12 does not hand a client's ``allow_auto_create_topics`` on to the cluster
    metadata, which keeps its default (True): a consumer assigned to a topic the broker lost, or a
    producer sending to it, had the broker make it again with the broker's partition count
    (Tansu's 4, Kafka's ``num.partitions``) within a second of a restart."""

    def __init__(self, **configs) -> None:
        super().__init__(**configs)
        self.cluster.config["allow_auto_create_topics"] = False


# What every Kafka consumer and producer here is built with.
NO_TOPIC_CREATION = {"allow_auto_create_topics": False, "kafka_client": _WithoutTopicCreation}


class _Admin(KafkaAdminClient):
    """kafka-python's admin client, looking for the broker at most ``ADMIN_BOOTSTRAP_SECONDS`` (not
    its 30 s, during which a part waiting for its broker would not see a signal to stop), and
    closed when it could not reach it: kafka-python 3.0.12 starts the client's network thread and
    leaves it running when the broker does not answer, one more thread at each attempt."""

    def __init__(self, bootstrap: str) -> None:
        try:
            super().__init__(bootstrap_servers=bootstrap, client_id="siwei-admin",
                             bootstrap_timeout_ms=int(ADMIN_BOOTSTRAP_SECONDS * 1000))
        except Exception:
            with contextlib.suppress(Exception):
                self._client.close()
            with contextlib.suppress(Exception):
                self._net.stop()
            raise


def ensure_topics(bootstrap: str, partitions: int, topics: list[str] | None = None) -> list[str]:
    """Creates the topics that are missing, with ``partitions`` each; reports (in the log, and
    returns) each topic found with another partition count, which is then used as it is."""
    wanted = topics or [body.topic for body in Body]
    admin = _Admin(bootstrap)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        found = [t for t in wanted if t in existing]
        other = [f"{d['name']} has {len(d['partitions'])} partitions, not {partitions}"
                 for d in (admin.describe_topics(found) if found else []) if len(d["partitions"]) != partitions]
        for mismatch in other:
            log.warning("%s (SIWEI_TOPIC_PARTITIONS): it is used as it is; recreate it to change it", mismatch)
        if not missing:
            return other
        replication = max(1, min(3, len(admin.describe_cluster()["brokers"])))
        new = [NewTopic(t, partitions, replication, topic_configs=TOPIC_CONFIG) for t in missing]
        with contextlib.suppress(TopicAlreadyExistsError):  # another process was quicker
            admin.create_topics(new)
        return other
    finally:
        admin.close()


def topic_id(bootstrap: str, topic: str) -> str | None:
    """The id of ``topic`` as the broker holds it now: None if it holds no such topic, '' if it
    gives no ids (a broker before Kafka 2.8)."""
    admin = _Admin(bootstrap)
    try:
        [described] = admin.describe_topics([topic])
    finally:
        admin.close()
    if described["error_code"] != 0:
        return None
    held = described.get("topic_id")
    return "" if held is None or UUID(str(held)).int == 0 else str(held)


def offsets_consumer(bootstrap: str, client_id: str) -> KafkaConsumer:
    """A consumer that belongs to no group: used to read offsets and to fetch by assignment. Its
    fetches do not wait for new messages (the default waits up to 500 ms at a partition's end,
    which is where a high watermark is read): the relay checks its topic while it publishes, and
    nothing is published while it checks."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap, client_id=client_id, group_id=None, enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_AT_ONCE_MS, **NO_TOPIC_CREATION,
    )


def high_watermarks(
    consumer: KafkaConsumer, partitions: list[TopicPartition], timeout: float = 10.0
) -> dict[TopicPartition, int]:
    """Each partition's high watermark (the offset the next message will get), as fetch responses
    report it. Not from ListOffsets: some Kafka-compatible brokers (Tansu) answer it with the last
    batch's base offset, not its end. Reassigns and moves the consumer."""
    if not partitions:  # a topic the broker does not hold (it came back empty)
        return {}
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polled(consumer, FETCH_AT_ONCE_MS)  # a poll lasts its timeout when no records come
        marks = {tp: consumer.highwater(tp) for tp in partitions}
        if all(mark is not None for mark in marks.values()):
            return marks
    raise KafkaTimeoutError(f"no high watermark for {partitions} in {timeout:.0f}s")


def partitions_of(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        consumer.topics()  # a metadata request: the cache may lag a just-created topic
        partitions = consumer.partitions_for_topic(topic) or set()
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def records_at(consumer: KafkaConsumer, offsets: dict[TopicPartition, int],
               timeout: float = 2.0) -> dict[TopicPartition, ConsumerRecord]:
    """The record at each given offset, for the partitions that still hold it. Having it proves
    the broker holds the partition up to there, whatever end it reports (Tansu's reported end
    can trail what it acknowledged). Reassigns and moves the consumer."""
    if not offsets:
        return {}
    consumer.assign(list(offsets))
    for tp, offset in offsets.items():
        consumer.seek(tp, offset)
    found: dict[TopicPartition, ConsumerRecord] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(offsets) and time.monotonic() < deadline:
        for tp, records in polled(consumer, 100)[0].items():
            for record in records:
                if record.offset == offsets[tp]:
                    found[tp] = record
    return found


def polled(consumer: KafkaConsumer, timeout_ms: int, max_records: int | None = None
           ) -> tuple[dict[TopicPartition, list[ConsumerRecord]], Exception | None]:
    """A poll's records, and the failure it met instead if kafka-python could not parse what a
    partition holds (a header key that is no UTF-8, a corrupt batch; None if it met none). Such a
    failure comes once, at the next poll after the records read before it, whatever that poll is
    for, and again at every poll from that message on: the reader must pass it
    (``infra.reader``). Any other failure is raised.

    The batch that failed is dropped. kafka-python 3.0.12 keeps it, and a later poll at the same
    position takes nothing from it, again and again, and never returns: a thread spinning a core
    (the relay's check of its topic met it at every check), or a reader stuck for good (the record
    before a projector's position, asked after it passed such a batch). Dropped, the next poll
    fetches the batch again and fails again, or reads on from a position moved past it.
    kafka-python has no public call for it; its own drain is what it does to a batch it ignores."""
    try:
        return consumer.poll(timeout_ms=timeout_ms, max_records=max_records), None
    except Exception as error:
        if not isinstance(error, CorruptRecordError) and isinstance(error, KafkaError):
            raise  # the broker's, not the message's
        held = consumer._fetcher._next_partition_records
        if held:
            held.drain()
        return {}, error


def unparsable(consumer: KafkaConsumer, tp: TopicPartition, offset: int, timeout: float = 5.0) -> bool:
    """Whether kafka-python fails to parse what ``tp`` holds at ``offset``. A fetch answers whole
    batches, each parsed from its start, so this holds from a message it cannot read to the end of
    that message's batch, and not after. Reassigns and moves the consumer."""
    consumer.assign([tp])
    consumer.seek(tp, offset)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records, failure = polled(consumer, 100, max_records=1)
        if failure is not None:
            return True
        if records:
            return False
        mark = consumer.highwater(tp)
        if mark is not None and offset >= mark:
            return False
    return False
