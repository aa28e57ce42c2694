"""The deployment secret (CSRF tokens, encrypted settings) appears whole, once."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from trellis.platform.config import config_from_env
from trellis.platform.config.secret import SECRET_FILE, deployment_secret, secret_key


def test_racing_first_starts_share_one_non_empty_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRELLIS_SECRET_KEY", raising=False)
    data = tmp_path / "data"
    start = threading.Barrier(12)
    keys: list[str] = []

    def first_start() -> None:
        start.wait()
        keys.append(secret_key(data))

    threads = [threading.Thread(target=first_start) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 12 and len(set(keys)) == 1 and len(keys[0]) >= 48
    path = data / SECRET_FILE
    assert path.read_text(encoding="utf-8") == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in data.iterdir()) == [SECRET_FILE]  # no temporary files left
    assert secret_key(data) == keys[0]


def test_an_empty_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRELLIS_SECRET_KEY", raising=False)
    (tmp_path / SECRET_FILE).write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError, match="is empty: delete it to make a new one"):
        secret_key(tmp_path)


def test_the_environment_key_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRELLIS_SECRET_KEY", "from-the-environment")
    config = config_from_env(tmp_path)  # the variable is read here, once
    monkeypatch.delenv("TRELLIS_SECRET_KEY")
    assert deployment_secret(config) == "from-the-environment"
    assert not (tmp_path / SECRET_FILE).exists()
    assert "from-the-environment" not in repr(config)
