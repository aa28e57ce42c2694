"""The keyring of encrypted fields: round trips, determinism, context binding, wrapping."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.platform.privacy.keys import PREFIX, DataKeyError, Keyring, unwrap, wrap

KEYS = {1: os.urandom(32), 2: os.urandom(32)}
RING = Keyring(lambda: KEYS)


@given(st.text(max_size=200), st.sampled_from(["person.tax_id", "deal.notes"]))
def test_values_round_trip_deterministically_under_the_newest_key(plain: str, ctx: str) -> None:
    sealed = RING.encrypt(plain, ctx)
    assert sealed.startswith(f"{PREFIX}2:")
    assert RING.encrypt(plain, ctx) == sealed  # equal values, equal ciphertexts
    assert RING.decrypt(sealed, ctx) == plain
    assert sealed in RING.candidates(plain, ctx) and len(RING.candidates(plain, ctx)) == 2


@given(st.text(min_size=1, max_size=50))
def test_a_value_is_bound_to_its_column(plain: str) -> None:
    sealed = RING.encrypt(plain, "person.tax_id")
    assert RING.encrypt(plain, "person.other") != sealed
    with pytest.raises(DataKeyError, match="altered"):
        RING.decrypt(sealed, "person.other")


def test_plain_text_reads_as_is_and_unknown_versions_are_errors() -> None:
    assert RING.decrypt("written before", "a.b") == "written before"
    with pytest.raises(DataKeyError, match="not held"):
        RING.decrypt(f"{PREFIX}9:AAAA", "a.b")


def test_wrapped_keys_open_only_with_their_master_and_version() -> None:
    master, other, key = os.urandom(32), os.urandom(32), os.urandom(32)
    wrapped = wrap(master, key, 3)
    assert unwrap([other, master], wrapped, 3) == key
    with pytest.raises(DataKeyError, match="TRELLIS_MASTER_KEY"):
        unwrap([other], wrapped, 3)
    with pytest.raises(DataKeyError):
        unwrap([master], wrapped, 4)
