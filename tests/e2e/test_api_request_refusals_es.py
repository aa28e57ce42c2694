"""Refusals of a malformed request follow ``Accept-Language``: a broken or empty JSON body,
a bad ``version`` or ``If-Match``, an unknown query parameter, a bad ``expand=``,
``sort=`` or ``fields=``; English when the header is absent. Nothing is written."""

from __future__ import annotations

from typing import Any

from helpers import Api

ES = {"Accept-Language": "es-ES,es;q=0.9"}
JSON = {"Content-Type": "application/json"}
EXPANDABLE = "account, owner, owner_id, created_by, updated_by"
LIST_PARAMS = "as_of, cursor, expand, fields, filter, limit, sort"


def _errors(answer: Any, status: int = 400) -> dict[str, list[str]]:
    assert answer.status_code == status, answer.text
    errors: dict[str, list[str]] = answer.json()["errors"]
    return errors


def test_json_body_refusals_in_spanish(api: Api) -> None:
    broken = api.post("account", content=b'{"name": ', headers={**ES, **JSON})
    [message] = _errors(broken)["__all__"]
    assert message.startswith("El cuerpo no es JSON válido: ")
    english = api.post("account", content=b'{"name": ', headers=JSON)
    assert _errors(english)["__all__"][0].startswith("The body is not valid JSON: ")
    empty = api.post("account", content=b"  ", headers={**ES, **JSON})
    assert _errors(empty) == {"__all__": ["El cuerpo de la petición está vacío."]}
    listed = api.post("account", json=[{"name": "A"}], headers=ES)
    assert _errors(listed) == {"__all__": ["El cuerpo debe ser un objeto JSON."]}
    deep = api.post("account", content=b"[" * 70 + b"]" * 70, headers={**ES, **JSON})
    assert _errors(deep) == {
        "__all__": ["El cuerpo JSON está anidado a más de 64 niveles de profundidad."]
    }
    assert api.get("account").json()["items"] == []

    record = api.post("account", json={"name": "Acme"}).json()
    path = f"account/{record['id']}"
    version = api.patch(path, json={"name": "B", "version": "two"}, headers=ES)
    assert _errors(version) == {"version": ["Debe ser un número entero."]}
    if_match = api.patch(path, json={"name": "B"}, headers={**ES, "If-Match": "abc"})
    assert _errors(if_match) == {"If-Match": ["«abc» no es una versión."]}
    english_match = api.patch(path, json={"name": "B"}, headers={"If-Match": "abc"})
    assert _errors(english_match) == {"If-Match": ["'abc' is not a version."]}
    assert api.get(path).json()["name"] == "Acme"


def test_unknown_query_parameter_in_spanish(api: Api) -> None:
    near = api.get("account", params={"limt": "5"}, headers=ES)
    assert _errors(near) == {
        "limt": [
            "Parámetro de consulta desconocido (¿quiso decir «limit»?); "
            f"esta operación admite: {LIST_PARAMS}."
        ]
    }
    far = api.get("account", params={"zzzz": "1"}, headers=ES)
    assert _errors(far) == {
        "zzzz": [f"Parámetro de consulta desconocido; esta operación admite: {LIST_PARAMS}."]
    }
    english = api.get("account", params={"zzzz": "1"})
    assert _errors(english) == {
        "zzzz": [f"Unknown query parameter; this operation takes: {LIST_PARAMS}."]
    }


def test_bad_expand_sort_and_fields_in_spanish(api: Api) -> None:
    account = api.post("account", json={"name": "Acme"}).json()["id"]
    contact = api.post("contact", json={"last_name": "Ruiz", "account": account}).json()["id"]
    cases = {
        "acount": "Campo desconocido «acount» (¿quiso decir «account»?).",
        "zzzz": "Campo desconocido «zzzz».",
        "last_name": "El campo «last_name» no contiene una referencia y no se puede expandir "
        f"(expandibles: {EXPANDABLE}).",
        "": "Nombre al menos un campo, u omita expand (se recibió '').",
        "account,,owner": "Los nombres no pueden estar vacíos ni en blanco "
        "(se recibió 'account,,owner').",
    }
    for value, message in cases.items():
        for path in ("contact", f"contact/{contact}"):
            answer = api.get(path, params={"expand": value}, headers=ES)
            assert _errors(answer) == {"expand": [message]}, (value, path)
    english = api.get("contact", params={"expand": "last_name"})
    assert _errors(english) == {
        "expand": [
            "Field 'last_name' holds no reference and cannot be expanded "
            f"(expandable: {EXPANDABLE})."
        ]
    }
    sort = api.get("account", params={"sort": "-nme"}, headers=ES)
    assert _errors(sort) == {"sort": ["Campo desconocido «nme» (¿quiso decir «name»?)."]}
    unsortable = api.get("account", params={"sort": "tags"}, headers=ES)
    assert _errors(unsortable) == {"sort": ["El campo «tags» no se puede ordenar."]}
    fields = api.get("account", params={"fields": "name,zzzz"}, headers=ES)
    assert _errors(fields) == {"fields": ["Campo desconocido «zzzz»."]}
    expanded = api.get("contact", params={"expand": "account"}, headers=ES).json()
    assert expanded["items"][0]["account"] == {"id": account, "title": "Acme"}
