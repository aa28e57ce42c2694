"""The sign-in service on SQLite and PostgreSQL: passwords, lockout, TOTP, sign-out.

A hand-moved clock drives lockout windows, TOTP steps and session timeouts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
import sqlalchemy as sa

from trellis.platform.config import FakeClock
from trellis.platform.identity import (
    NO_ROLE,
    WRONG_CODE,
    WRONG_CREDENTIALS,
    IdentityError,
    SignInService,
)
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import MemorySessionStore, Session

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(runtime: Runtime, clock: FakeClock) -> Iterator[SignInService]:
    """Tenants acme and globex; ann (sales_rep of acme), norole@ (member, no role)."""
    reg = runtime.registry
    for name in ("acme", "globex"):
        reg.create_tenant(name)
    reg.add_membership("acme", reg.ensure_user("ann@acme.test", PASSWORD), ["sales_rep"])
    reg.add_membership("globex", reg.ensure_user("gus@globex.test", PASSWORD), ["admin"])
    reg.add_membership("acme", reg.ensure_user("norole@acme.test", PASSWORD), [])
    sessions = MemorySessionStore(idle=1800, absolute=12 * 3600, clock=clock)
    yield SignInService(reg, sessions, runtime.config, clock=clock)
    sessions.close()


def _audit(runtime: Runtime, action: str, tenant: str = "acme") -> list[dict[str, object]]:
    info = runtime.registry.get_tenant(tenant)
    assert info is not None
    return [e.as_json() for e in runtime.registry.audit.entries(info.id, action=action)]


def _refused(call: object, *args: object, **kwargs: object) -> IdentityError:
    with pytest.raises(IdentityError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def test_a_member_signs_in_and_it_is_audited(service: SignInService, runtime: Runtime) -> None:
    session = service.sign_in("acme", " Ann@Acme.test ", PASSWORD, ip="10.0.0.7")
    assert session.tenant == "acme"
    assert session.email == "ann@acme.test"
    assert session.second_factor_pending is False
    assert service.current(session.sid, "acme") == service.sessions.get(session.sid)
    [entry] = _audit(runtime, "auth.signin")
    assert entry["actor"] == "ann@acme.test"
    assert entry["ip"] == "10.0.0.7"


def test_unknown_user_and_wrong_password_look_alike_but_are_audited_apart(
    service: SignInService, runtime: Runtime
) -> None:
    wrong = _refused(service.sign_in, "acme", "ann@acme.test", "not it at all", ip="1.2.3.4")
    unknown = _refused(service.sign_in, "acme", "ghost@acme.test", PASSWORD, ip="1.2.3.5")
    other = _refused(service.sign_in, "acme", "gus@globex.test", PASSWORD, ip="1.2.3.6")
    assert wrong.message == unknown.message == other.message == WRONG_CREDENTIALS
    assert wrong.status == unknown.status == other.status == 401
    failures = _audit(runtime, "auth.signin.failure")
    reasons = {e["actor"]: e["detail"]["reason"] for e in failures}  # type: ignore[index]
    assert reasons == {
        "ann@acme.test": "wrong password",
        "ghost@acme.test": "unknown user",
        "gus@globex.test": "not a member",
    }
    assert {e["ip"] for e in failures} == {"1.2.3.4", "1.2.3.5", "1.2.3.6"}
    assert _audit(runtime, "auth.signin") == []


def test_an_unknown_tenant_is_a_404(service: SignInService) -> None:
    error = _refused(service.sign_in, "nowhere", "ann@acme.test", PASSWORD, ip=None)
    assert error.status == 404


def test_a_member_without_any_role_is_refused_clearly(
    service: SignInService, runtime: Runtime
) -> None:
    error = _refused(service.sign_in, "acme", "norole@acme.test", PASSWORD, ip=None)
    assert (error.status, error.message) == (403, NO_ROLE)
    [entry] = _audit(runtime, "auth.signin.failure")
    assert entry["detail"]["reason"] == "no role"  # type: ignore[index]


def test_five_failures_lock_the_account_for_fifteen_minutes(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    for _ in range(4):
        assert _refused(service.sign_in, "acme", "ann@acme.test", "bad", ip=None).status == 401
    fifth = _refused(service.sign_in, "acme", "ann@acme.test", "bad", ip=None)
    assert (fifth.status, fifth.message) == (
        429,
        "Too many failed attempts; try again in 15 minutes.",
    )
    # Locked: even the right password is refused, and the password is not checked.
    clock.advance(5 * 60 + 1)
    locked = _refused(service.sign_in, "acme", "ann@acme.test", PASSWORD, ip=None)
    assert (locked.status, locked.message) == (
        429,
        "Too many failed attempts; try again in 10 minutes.",
    )
    assert len(_audit(runtime, "auth.lockout")) == 1
    reasons = [e["detail"]["reason"] for e in _audit(runtime, "auth.signin.failure")]  # type: ignore[index]
    assert reasons.count("locked") == 1
    clock.advance(10 * 60)  # the window is over
    session = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    assert session.user_id == runtime.registry.user_id("ann@acme.test")
    # A success starts the count again: four more failures do not lock.
    for _ in range(4):
        assert _refused(service.sign_in, "acme", "ann@acme.test", "bad", ip=None).status == 401
    assert service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None).sid


def test_lockout_limits_follow_the_configuration(runtime: Runtime, clock: FakeClock) -> None:
    reg = runtime.registry
    reg.create_tenant("tiny")
    reg.add_membership("tiny", reg.ensure_user("t@tiny.test", PASSWORD), ["admin"])
    config = runtime.config.with_overrides(signin_max_failures=2, signin_lockout_minutes=1)
    strict = SignInService(reg, MemorySessionStore(clock=clock), config, clock=clock)
    assert _refused(strict.sign_in, "tiny", "t@tiny.test", "bad", ip=None).status == 401
    second = _refused(strict.sign_in, "tiny", "t@tiny.test", "bad", ip=None)
    assert second.message == "Too many failed attempts; try again in 1 minute."
    clock.advance(61)
    assert strict.sign_in("tiny", "t@tiny.test", PASSWORD, ip=None).tenant == "tiny"


def _lock(service: SignInService, email: str, password: str = "bad") -> IdentityError:
    """Fail five times with ``email``; returns the fifth refusal."""
    for _ in range(4):
        assert _refused(service.sign_in, "acme", email, password, ip=None).status == 401
    return _refused(service.sign_in, "acme", email, password, ip=None)


def test_an_unknown_email_is_locked_exactly_like_a_real_account(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    known = _lock(service, "ann@acme.test")
    unknown = _lock(service, "ghost@acme.test", PASSWORD)
    assert (unknown.status, unknown.message) == (known.status, known.message)
    assert unknown.message == "Too many failed attempts; try again in 15 minutes."
    clock.advance(60)
    later = [
        _refused(service.sign_in, "acme", e, PASSWORD, ip=None)
        for e in ("ann@acme.test", "ghost@acme.test")
    ]
    assert {(e.status, e.message) for e in later} == {
        (429, "Too many failed attempts; try again in 14 minutes.")
    }
    lockouts = {e["target"] for e in _audit(runtime, "auth.lockout")}
    assert lockouts == {"user:ann@acme.test", "user:ghost@acme.test"}
    clock.advance(14 * 60)  # both windows are over: back to the usual answer
    after = _refused(service.sign_in, "acme", "ghost@acme.test", PASSWORD, ip=None)
    assert (after.status, after.message) == (401, WRONG_CREDENTIALS)


def test_locking_one_email_leaves_the_others_alone(service: SignInService) -> None:
    assert _lock(service, "ghost@acme.test").status == 429
    other = _refused(service.sign_in, "acme", "phantom@acme.test", "bad", ip=None)
    assert (other.status, other.message) == (401, WRONG_CREDENTIALS)
    assert service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None).tenant == "acme"


def test_case_and_space_variants_of_an_email_count_together(service: SignInService) -> None:
    variants = ["ghost@acme.test", "Ghost@Acme.test", " GHOST@ACME.TEST ", "ghost@ACME.test"]
    for email in variants:
        assert _refused(service.sign_in, "acme", email, "bad", ip=None).status == 401
    fifth = _refused(service.sign_in, "acme", "gHoSt@acme.test ", "bad", ip=None)
    assert fifth.status == 429
    known = [" Ann@Acme.Test", "ANN@acme.test", "ann@acme.test ", "Ann@acme.test"]
    for email in known:
        assert _refused(service.sign_in, "acme", email, "bad", ip=None).status == 401
    assert _refused(service.sign_in, "acme", "ANN@ACME.TEST", "bad", ip=None).status == 429
    assert _refused(service.sign_in, "acme", "ann@acme.test", PASSWORD, ip=None).status == 429


def _enrol(
    service: SignInService, session: Session, clock: FakeClock
) -> tuple[pyotp.TOTP, list[str]]:
    enrolment = service.two_factor.begin(session.user_id, session.email, session.tenant)
    assert enrolment.qr_data_uri.startswith("data:image/svg+xml;base64,")
    assert enrolment.uri.startswith("otpauth://totp/")
    assert f"secret={enrolment.secret}" in enrolment.uri
    totp = pyotp.TOTP(enrolment.secret)
    return totp, service.confirm_two_factor(session, totp.at(clock.now()), ip=None)


def test_two_factor_enrolment_needs_a_right_code_first(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    session = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    enrolment = service.two_factor.begin(session.user_id, session.email, "acme")
    assert not service.two_factor.is_enabled(session.user_id)
    assert _refused(service.confirm_two_factor, session, "000000", ip=None).message.startswith(
        "That code is not right"
    )
    assert not service.two_factor.is_enabled(session.user_id)
    # The secret is stored encrypted, never in clear.
    table = runtime.registry.metadata.tables["user_totp"]
    with runtime.registry.connect() as conn:
        stored = conn.execute(sa.select(table.c.secret_encrypted)).scalar_one()
    assert enrolment.secret not in stored
    codes = service.confirm_two_factor(
        session, pyotp.TOTP(enrolment.secret).at(clock.now()), ip=None
    )
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert service.two_factor.is_enabled(session.user_id)
    assert len(_audit(runtime, "auth.2fa.enable")) == 1
    codes_table = runtime.registry.metadata.tables["user_recovery_codes"]
    with runtime.registry.connect() as conn:
        hashes = conn.execute(sa.select(codes_table.c.code_hash)).scalars().all()
    assert len(hashes) == 10
    assert not set(codes) & set(hashes)  # stored hashed


def test_sign_in_with_totp_is_a_second_step_with_a_new_session_id(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    first = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    totp, _codes = _enrol(service, first, clock)
    pending = service.sign_in("acme", "ann@acme.test", PASSWORD, ip="9.9.9.9")
    assert pending.second_factor_pending is True
    assert service.current(pending.sid, "acme") is None  # not signed in yet
    wrong = _refused(service.verify_second_factor, pending.sid, "123 456", ip=None)
    assert (wrong.status, wrong.message) == (400, WRONG_CODE)
    clock.advance(30)
    done = service.verify_second_factor(pending.sid, totp.at(clock.now()), ip="9.9.9.9")
    assert done.sid != pending.sid
    assert service.current(done.sid, "acme") is not None
    assert service.sessions.get(pending.sid) is None
    entry = _audit(runtime, "auth.signin")[0]
    assert entry["detail"] == {"second_factor": "totp", "ip": "9.9.9.9"}
    # The same code cannot be used twice (replay), even within its 30 seconds.
    again = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    replay = _refused(service.verify_second_factor, again.sid, totp.at(clock.now()), ip=None)
    assert replay.message == WRONG_CODE


def test_a_password_never_expires_by_age(service: SignInService, clock: FakeClock) -> None:
    clock.advance(400 * 24 * 3600)  # more than a year after the password was set
    session = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    assert not session.second_factor_pending
    assert service.current(session.sid, "acme") is not None


def test_a_totp_code_counts_only_within_one_step_of_now(
    service: SignInService, clock: FakeClock
) -> None:
    first = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    totp, _codes = _enrol(service, first, clock)
    clock.advance(300)
    pending = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    for offset in (-90, -60, 60, 90):  # two or three 30-second steps away
        at = clock.now().timestamp() + offset
        code = totp.at(int(at))
        if code in {totp.at(int(clock.now().timestamp()) + d) for d in (-30, 0, 30)}:
            continue  # the rare collision with a code of an accepted step
        wrong = _refused(service.verify_second_factor, pending.sid, code, ip=None)
        assert wrong.message == WRONG_CODE, offset
    done = service.verify_second_factor(pending.sid, totp.at(clock.now()), ip=None)
    assert service.current(done.sid, "acme") is not None


def test_a_recovery_code_works_once(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    first = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    _totp, codes = _enrol(service, first, clock)
    pending = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    done = service.verify_second_factor(pending.sid, codes[3].upper(), ip=None)
    assert done.second_factor_pending is False
    entry = _audit(runtime, "auth.signin")[0]
    assert entry["detail"]["second_factor"] == "recovery"  # type: ignore[index]
    assert entry["detail"]["recovery_codes_left"] == 9  # type: ignore[index]
    pending = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    used = _refused(service.verify_second_factor, pending.sid, codes[3], ip=None)
    assert used.message == WRONG_CODE
    assert service.verify_second_factor(pending.sid, codes[4], ip=None).sid


def test_wrong_codes_count_towards_the_lockout(service: SignInService, clock: FakeClock) -> None:
    _enrol(service, service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None), clock)
    pending = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    for _ in range(4):
        _refused(service.verify_second_factor, pending.sid, "000000", ip=None)
    locked = _refused(service.verify_second_factor, pending.sid, "000000", ip=None)
    assert locked.status == 429
    assert service.sessions.get(pending.sid) is None  # the half sign-in is over
    expired = _refused(service.verify_second_factor, pending.sid, "000000", ip=None)
    assert expired.status == 401


def test_disabling_two_factor_needs_the_password(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    session = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    _enrol(service, session, clock)
    wrong = _refused(service.disable_two_factor, session, "guess", ip=None)
    assert wrong.message == "The password is not right."
    assert service.two_factor.is_enabled(session.user_id)
    service.disable_two_factor(session, PASSWORD, ip=None)
    assert not service.two_factor.is_enabled(session.user_id)
    assert len(_audit(runtime, "auth.2fa.disable")) == 1
    assert (
        service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None).second_factor_pending is False
    )
    assert _refused(service.disable_two_factor, session, PASSWORD, ip=None).message == (
        "Two-factor sign-in is not on."
    )


def test_sign_out_and_sign_out_everywhere(service: SignInService, runtime: Runtime) -> None:
    laptop = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    phone = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    tablet = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    gus = service.sign_in("globex", "gus@globex.test", PASSWORD, ip=None)
    service.sign_out(tablet, ip=None)
    assert service.current(tablet.sid, "acme") is None
    assert service.sign_out_everywhere(laptop, ip=None) == 2
    assert service.current(phone.sid, "acme") is None
    assert service.current(gus.sid, "globex") is not None
    assert len(_audit(runtime, "auth.signout")) == 1
    [entry] = _audit(runtime, "auth.signout.everywhere")
    assert entry["detail"]["sessions"] == 2  # type: ignore[index]


def test_a_session_is_only_valid_for_its_own_tenant(service: SignInService) -> None:
    session = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    assert service.current(session.sid, "globex") is None
    assert service.current(session.sid, "acme") is not None


def test_changing_the_password_checks_the_policy_and_ends_other_sessions(
    service: SignInService, runtime: Runtime
) -> None:
    mine = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    other = service.sign_in("acme", "ann@acme.test", PASSWORD, ip=None)
    cases = {
        "nope": "at least 8 characters",
        "Password123!": "common or breached",
        "ann-is-great-2026": "email name",
        PASSWORD: "must differ",
    }
    for new, message in cases.items():
        assert message in _refused(service.change_password, mine, PASSWORD, new, ip=None).message
    wrong = _refused(service.change_password, mine, "not mine", "a fresh long phrase", ip=None)
    assert wrong.message == "The password is not right."
    renewed = service.change_password(mine, PASSWORD, "a fresh long phrase", ip=None)
    assert service.current(renewed.sid, "acme") is not None
    assert service.current(other.sid, "acme") is None
    assert service.current(mine.sid, "acme") is None
    assert len(_audit(runtime, "auth.password.change")) == 1
    _refused(service.sign_in, "acme", "ann@acme.test", PASSWORD, ip=None)
    assert service.sign_in("acme", "ann@acme.test", "a fresh long phrase", ip=None).sid


def test_failures_older_than_a_day_are_forgotten_and_their_rows_pruned(
    service: SignInService, runtime: Runtime, clock: FakeClock
) -> None:
    for _ in range(4):
        assert _refused(service.sign_in, "acme", "ann@acme.test", "bad", ip=None).status == 401
    for _ in range(3):
        assert _refused(service.sign_in, "acme", "ghost@acme.test", "bad", ip=None).status == 401
    clock.advance(24 * 3600 + 1)
    # A fifth failure a day later starts a new count instead of locking.
    fifth = _refused(service.sign_in, "acme", "ann@acme.test", "bad", ip=None)
    assert (fifth.status, fifth.message) == (401, WRONG_CREDENTIALS)
    # A new address failing prunes the forgotten counters (the ghost's).
    assert _refused(service.sign_in, "acme", "new@acme.test", "bad", ip=None).status == 401
    table = runtime.registry.metadata.tables["signin_email_failures"]
    with runtime.registry.connect() as conn:
        kept = dict(conn.execute(sa.select(table.c.email, table.c.failures)).all())
    assert kept == {"ann@acme.test": 1, "new@acme.test": 1}
