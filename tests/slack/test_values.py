"""`bot.commands.values`: ids typed or carried by buttons, and metadata, are exactly what the bot sends."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Integer
from sqlmodel import SQLModel

import bot.store  # noqa: F401  (registers every table)
from bot.commands.parser import Word, id_arg
from bot.commands.values import (
    ROW_ID_MAX,
    StaleInput,
    button_id,
    id_value,
    meta_id,
    metadata,
    pair_value,
    row_id,
)


def test_row_id_max_is_the_range_of_every_id_column():
    """PostgreSQL's INTEGER is 32-bit: a BIGINT id column would need ROW_ID_MAX raised."""
    assert ROW_ID_MAX == 2**31 - 1
    ids = {t.name: t.c.id.type for t in SQLModel.metadata.sorted_tables if "id" in t.c}
    assert ids and all(type(kind) is Integer for kind in ids.values()), ids


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1), ("#12", 12), (" 7 ", 7), ("2147483647", ROW_ID_MAX), ("0012", 12),
    ("2147483648", None), ("99999999999999999999", None), ("0", None), ("-1", None), ("+1", None),
    ("²", None), ("٣", None), ("1²", None), ("１", None), ("1.0", None), ("", None), ("#", None), (None, None),
    (12, None), ("1e3", None),
])
def test_row_id_takes_ascii_digits_within_the_column_range(text, expected):
    assert row_id(text) == expected


def test_id_arg_reads_one_typed_word():
    assert id_arg(Word("#42")) == 42 and id_arg(Word("42", quoted=True)) == 42
    assert id_arg(Word("٤٢")) is None and id_arg(Word("4294967296")) is None


def test_carried_ids_refuse_anything_else():
    assert button_id({"value": "3"}) == 3 and id_value(3) == 3
    for action in ({}, {"value": None}, {"value": "x"}, {"value": "3.5"}, {"value": "²"}, {"value": "99999999999"}):
        with pytest.raises(StaleInput):
            button_id(action)
    for raw in (True, 3.0, [3], {"s": 3}, -3, 2**31):
        with pytest.raises(StaleInput):
            id_value(raw)


def test_pair_value():
    assert pair_value("3:PSCHED1") == (3, "PSCHED1") and pair_value("3:") == (3, "")
    for raw in ("3", ":PSCHED1", "x:P", "²:P", None, 3):
        with pytest.raises(StaleInput):
            pair_value(raw)


def test_metadata_is_the_object_the_bot_wrote():
    assert metadata({"private_metadata": json.dumps({"s": 4, "c": "C1"})}) == {"s": 4, "c": "C1"}
    assert meta_id({"private_metadata": '{"s": 4}'}, "s") == 4
    for raw in (None, "", "not json", "[1]", '"s"', "4", "null"):
        with pytest.raises(StaleInput):
            metadata({"private_metadata": raw})
    for raw in ("{}", '{"s": "x"}', '{"s": null}', '{"s": 1.5}', '{"s": true}', '{"s": 99999999999}'):
        with pytest.raises(StaleInput):
            meta_id({"private_metadata": raw}, "s")
    with pytest.raises(StaleInput):
        metadata(None)


def test_row_id_max_is_where_postgresql_stops(pg_engine):
    from sqlalchemy.exc import DBAPIError

    from bot.store import TimeOff, session_scope

    with session_scope(pg_engine) as session:
        assert session.get(TimeOff, ROW_ID_MAX) is None
    with pytest.raises(DBAPIError, match="out of range"), session_scope(pg_engine) as session:
        session.get(TimeOff, ROW_ID_MAX + 1)


@given(st.one_of(st.text(max_size=14), st.integers(), st.none(), st.floats(), st.booleans()))
def test_row_id_is_an_ascii_id_within_range_or_none(raw):
    n = row_id(raw)
    assert n is None or (1 <= n <= ROW_ID_MAX and raw.strip().removeprefix("#").isascii())


@given(st.one_of(st.text(max_size=30), st.none(), st.integers()))
def test_metadata_and_buttons_raise_nothing_but_stale_input(raw):
    for read in (lambda: metadata({"private_metadata": raw}), lambda: button_id({"value": raw}),
                 lambda: pair_value(raw), lambda: meta_id({"private_metadata": raw}, "s")):
        with contextlib.suppress(StaleInput):
            read()
