"""What the parts send PostgreSQL: arrays of values as one text each."""

from datetime import timedelta, timezone

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.database import array_literal

ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))])
TYPED = st.one_of(  # each with the cast its column has
    st.tuples(st.just("uuid"), st.lists(st.none() | st.uuids(), max_size=20)),
    st.tuples(st.just("timestamptz"), st.lists(st.none() | st.datetimes(timezones=ZONES), max_size=20)),
    st.tuples(st.just("date"), st.lists(st.none() | st.dates(), max_size=20)),
    st.tuples(st.just("numeric"), st.lists(st.none() | st.decimals(allow_nan=False, allow_infinity=False), max_size=20)),
    st.tuples(st.just("bigint"), st.lists(st.none() | st.integers(-2**63, 2**63 - 1), max_size=20)),
)
TEXTS = st.lists(st.none() | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
                 max_size=20)


def test_an_array_of_any_texts_reaches_postgresql_as_it_was(database_url):
    with psycopg.connect(database_url) as conn:

        @settings(max_examples=300, deadline=None)
        @given(TEXTS)
        def round_trip(values):
            assert conn.execute("SELECT %s::text[]", (array_literal(values),)).fetchone()[0] == values

        round_trip()
        hostile = ['a"b', "c\\d", "NULL", "null", "", "{x,y}", " 空格 ", '北苑\n"引号"\\', "'", "\\x00ff"]
        assert conn.execute("SELECT %s::text[]", (array_literal(hostile),)).fetchone()[0] == hostile
        assert conn.execute("SELECT %s::bytea[]", (array_literal(["\\x00ff"]),)).fetchone()[0] == [b"\x00\xff"]


def test_an_array_of_ids_times_dates_amounts_or_numbers_reaches_postgresql_as_it_was(database_url):
    with psycopg.connect(database_url) as conn:

        @settings(max_examples=300, deadline=None)
        @given(TYPED)
        def round_trip(typed):
            kind, values = typed
            assert conn.execute(f"SELECT %s::{kind}[]", (array_literal(values),)).fetchone()[0] == values

        round_trip()


def test_an_array_is_made_of_any_iterable_and_of_values_of_other_types_by_their_text(database_url):
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT %s::int[]", (array_literal(n for n in (1, 2)),)).fetchone()[0] == [1, 2]
        assert conn.execute("SELECT %s::text[]", (array_literal({"a": 1, "b": 2}),)).fetchone()[0] == ["a", "b"]
        assert conn.execute("SELECT %s::bool[]", (array_literal([True, None, False]),)).fetchone()[0] \
            == [True, None, False]
        assert conn.execute("SELECT %s::text[]", (array_literal([1.5, "x"]),)).fetchone()[0] == ["1.5", "x"]
