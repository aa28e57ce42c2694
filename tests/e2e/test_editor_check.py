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


RULE = 'rule "Big"\n  on account created\n  when employes > 10\n  then set nme = "x"\nend\n'


def test_check_a_rule_file_reports_every_problem_with_positions(api: Api) -> None:
    body = api.post("_check", json={"kind": "rule", "source": RULE}).json()
    assert body["kind"] == "rule"
    assert body["valid"] is False
    found = [(e["code"], e["line"], e["column"], e["suggestion"]) for e in body["errors"]]
    assert found == [("RL002", 3, 8, "employees"), ("RL103", 4, 12, "name")]
    ok = 'rule "Big"\n  on account created\n  then set name = "x"\nend\n'
    assert api.post("_check", json={"kind": "rule", "source": ok}).json()["errors"] == []
    loop = 'rule "L"\n  on account name changes\n  then set name = "y"\nend\n'
    warned = api.post("_check", json={"kind": "rule", "source": loop}).json()
    assert warned["valid"] is True
    assert [(e["code"], e["severity"]) for e in warned["errors"]] == [("RL111", "warning")]


def test_rule_file_cursor_suggests_keywords_names_and_expressions(api: Api) -> None:
    def at(source: str, **cursor: int) -> dict[str, object]:
        body: dict[str, object] = {"kind": "rule", "source": source}
        if cursor:
            body["cursor"] = cursor
        res = api.post("_check", json=body)
        assert res.status_code == 200, res.text
        return res.json()  # type: ignore[no-any-return]

    assert at('rule "x"\n  on ')["entities"] == ["account", "contact"]
    assert at('rule "x"\n  on account cre')["tokens"] == ["created"]
    events = at('rule "x"\n  on account ')
    assert {"created", "updated", "deleted", "after", "before"} <= set(events["tokens"])
    assert "industry" in events["fields"]  # on account industry changes
    when = at('rule "x"\n  on contact created\n  when account.ind')
    assert when["fields"] == ["industry"]
    condition = at('rule "x"\n  on account created\n  when employees > ')
    assert "len" in condition["functions"] and "employees" in condition["fields"]
    settable = at('rule "x"\n  on account created\n  then set ')["fields"]
    assert "name" in settable and "double_employees" not in settable and "number" not in settable
    dates = at('rule "x"\n  on account after 2 days from ')["fields"]
    assert dates == ["created_at", "founded", "last_contact", "updated_at"]
    recipients = at('rule "x"\n  on account created\n  then notify ')
    assert (recipients["names"], recipients["fields"]) == (["owner"], ["owner_user"])
    actions = at('rule "x"\n  on account created\n  then\n    se')
    assert actions["tokens"] == ["send", "set"]
    # A cursor given as line and column (1-based) in the middle of the text.
    middle = at('rule "x"\n  on acc\n  then reject "no"\nend\n', line=2, column=9)
    assert middle["entities"] == ["account"]
    assert middle["tokens"] == []


def test_rule_check_bad_requests(api: Api) -> None:
    assert api.post("_check", json={"kind": "rules", "source": "x"}).status_code == 400
    assert api.post("_check", json={"kind": "rule"}).status_code == 400
    for cursor in ({"line": 0, "column": 1}, {"line": 1}, {"line": "1", "column": 1}, -1, True):
        res = api.post("_check", json={"kind": "rule", "source": "x", "cursor": cursor})
        assert res.status_code == 400, cursor
        assert "cursor" in res.json()["errors"]
