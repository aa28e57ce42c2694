"""The password policy: length and variety, plus the shipped common-password list."""

from __future__ import annotations

import argon2
import pytest

from trellis.tenants.registry.passwords import (
    PasswordPolicyError,
    check_new_password,
    common_passwords,
    hash_password,
    is_common_password,
    use_hash_parameters,
    verify_password,
)


def test_the_shipped_list_has_a_few_hundred_entries() -> None:
    known = common_passwords()
    assert len(known) >= 300
    assert {"123456", "password", "qwerty", "iloveyou"} <= known
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in known)


@pytest.mark.parametrize(
    "password", ["password123", "Password123!", "QWERTY", "monkey99", "Dragon!"]
)
def test_common_passwords_and_their_decorated_forms_are_known(password: str) -> None:
    assert is_common_password(password)


@pytest.mark.parametrize("password", ["correct horse battery", "s3cret-pass", "plum tree at dusk"])
def test_uncommon_passwords_are_not(password: str) -> None:
    assert not is_common_password(password)
    check_new_password(password, email="someone@example.test")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "The password must have at least 8 characters."),
        ("aaaaaaaaaa", "The password is too simple: use several different characters."),
        (
            "iloveyou",
            "This password is on a list of common or breached passwords: choose another.",
        ),
        ("Welcome123", "This password is on a list of common or breached passwords"),
        ("margaret-2026!", "The password must not contain your email name."),
    ],
)
def test_new_passwords_are_refused_with_a_clear_message(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=message):
        check_new_password(password, email="Margaret@example.test")


def test_hashes_are_argon2_and_verify() -> None:
    hashed = hash_password("plum tree at dusk")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "plum tree at dusk")
    assert not verify_password(hashed, "plum tree at dawn")
    assert not verify_password("not a hash", "plum tree at dusk")


def test_hash_parameters_apply_to_new_hashes_and_old_ones_still_verify() -> None:
    """The suite hashes with argon2's cheapest profile (tests/conftest.py); a hash made
    with the production profile (RFC 9106 low memory: 64 MiB, 3 passes) still verifies."""
    strong = argon2.profiles.RFC_9106_LOW_MEMORY
    use_hash_parameters(strong)
    try:
        old = hash_password("plum tree at dusk")
        assert f"m={strong.memory_cost},t={strong.time_cost}" in old
    finally:
        use_hash_parameters(argon2.profiles.CHEAPEST)
    new = hash_password("plum tree at dusk")
    cheap = argon2.profiles.CHEAPEST
    assert f"m={cheap.memory_cost},t={cheap.time_cost}" in new
    assert verify_password(old, "plum tree at dusk")
    assert verify_password(new, "plum tree at dusk")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple " * 5,  # a 145-character passphrase with spaces
        "pässwörd-ünïcödé-大家好-🙂-" * 4,
        "x" * 63 + "y" + "z" * 100,
        "only lower case letters and spaces written out at length to pass sixty four characters",
    ],
)
def test_long_passwords_of_any_composition_are_kept_exactly(password: str) -> None:
    assert len(password) > 64
    check_new_password(password, email="someone@example.test")  # no composition rules
    stored = hash_password(password)
    assert verify_password(stored, password)
    # Verified exactly as typed: no truncation, case folding or trimming.
    for variant in (password[:-1], password + "!", password.upper(), f" {password}"):
        assert variant == password or not verify_password(stored, variant)
    assert not verify_password(stored, password[:64])
