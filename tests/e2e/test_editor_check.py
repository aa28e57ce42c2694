"""The rule editor's check endpoint: errors with positions, and what fits at the cursor."""

from __future__ import annotations

from helpers import Api


def test_check_reports_errors_and_suggestions(api: Api) -> None:
    ok = api.post("_check", json={"entity": "account", "source": "employees > 10"})
    assert ok.status_code == 200
    assert ok.json()["valid"] is True

    typo = api.post("_check", json={"entity": "account", "source": "employes > 10"}).json()
    assert typo["valid"] is False
    assert typo["errors"][0]["code"] == "RL002"
    assert (typo["errors"][0]["line"], typo["errors"][0]["column"]) == (1, 1)
    assert typo["errors"][0]["suggestion"] == "employees"

    after_op = api.post("_check", json={"entity": "account", "source": "employees > "}).json()
    assert "(" in after_op["tokens"] and "null" in after_op["tokens"]
    assert "employees" in after_op["fields"] and "len" in after_op["functions"]

    partial = api.post(
        "_check", json={"entity": "contact", "source": "account.ind", "cursor": 11}
    ).json()
    assert partial["fields"] == ["industry"]
    assert partial["functions"] == []

    middle = api.post(
        "_check", json={"entity": "account", "source": "employees > 1 an", "cursor": 16}
    ).json()
    assert middle["tokens"] == ["and"]


def test_check_bad_requests(api: Api) -> None:
    assert api.post("_check", json={"entity": "nope", "source": "x"}).status_code == 404
    assert api.post("_check", json={"entity": "account"}).status_code == 400
    assert (
        api.post(
            "_check", json={"entity": "account", "source": "x", "expected": "banana"}
        ).status_code
        == 400
    )
    assert (
        api.post("_check", json={"entity": "account", "source": "x", "cursor": "end"}).status_code
        == 400
    )
    wrong_type = api.post("_check", json={"entity": "account", "source": "employees + 1"})
    assert wrong_type.json()["errors"][0]["code"] == "RL006"
