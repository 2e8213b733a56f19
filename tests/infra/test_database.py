"""What the parts send PostgreSQL: arrays of values as one text each."""

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.database import array_literal

TEXTS = st.lists(st.none() | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
                 max_size=20)


def test_an_array_of_any_texts_reaches_postgresql_as_it_was(database_url):
    with psycopg.connect(database_url) as conn:

        @settings(max_examples=300, deadline=None)
        @given(TEXTS)
        def round_trip(values):
            assert conn.execute("SELECT %s::text[]", (array_literal(values),)).fetchone()[0] == values

        round_trip()
        hostile = ['a"b', "c\\d", "NULL", "", "{x,y}", " 空格 ", '北苑\n"引号"\\', "'", "\\x00ff"]
        assert conn.execute("SELECT %s::text[]", (array_literal(hostile),)).fetchone()[0] == hostile
        assert conn.execute("SELECT %s::bytea[]", (array_literal(["\\x00ff"]),)).fetchone()[0] == [b"\x00\xff"]
