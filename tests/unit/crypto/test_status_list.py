"""Bitstring Status List encoding and bit order."""

from __future__ import annotations

import base64
import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto import status_list


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = status_list.set_bit(bytes(2), 0, True)
    assert bits == b"\x80\x00"
    assert status_list.set_bit(bytes(2), 15, True) == b"\x00\x01"


def test_round_trip_of_a_full_size_list() -> None:
    bits = status_list.set_bit(bytes(status_list.MIN_ENTRIES // 8), 131_071, True)
    encoded = status_list.encode(bits)
    assert encoded.startswith("u") and "=" not in encoded
    decoded = status_list.decode(encoded)
    assert decoded == bits and status_list.get_bit(decoded, 131_071)
    assert not status_list.get_bit(decoded, 131_070)
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(raw) == bits


@given(st.binary(min_size=1, max_size=64), st.data())
def test_set_then_get(bits: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(bits) * 8 - 1))
    value = data.draw(st.booleans())
    changed = status_list.set_bit(bits, index, value)
    assert status_list.get_bit(changed, index) is value
    others = [i for i in range(len(bits) * 8) if i != index]
    assert all(status_list.get_bit(changed, i) == status_list.get_bit(bits, i) for i in others)


@pytest.mark.parametrize("garbage", ["", "zabc", "u!!!", "u" + "A" * 10])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError):
        status_list.decode(garbage)


def test_index_outside_the_list() -> None:
    with pytest.raises(IndexError):
        status_list.get_bit(b"\x00", 8)
