"""Background imports keep their failed rows in the member's language (their setting,
else the organisation's ``locale:``): ``first_errors``, the error report's titles and
messages; a map refusal follows ``Accept-Language``."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from helpers import Api

CSV = "Name,Industry,Employees\nAcme,Tech,10\nGamma,Tech,x\n"


def _upload(api: Api, query: str = "", headers: dict[str, str] | None = None) -> object:
    files = {"file": ("accounts.csv", CSV.encode(), "text/csv")}
    return api.client.post(
        f"/t/acme/api/account/_import{query}", files=files, headers=headers or api.headers
    )


def test_failed_rows_and_report_are_in_the_member_language(api: Api, runtime: Runtime) -> None:
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(admin, "es")
    answer = _upload(api)
    assert answer.status_code == 202, answer.text  # type: ignore[attr-defined]
    Dispatcher(runtime).run_due()
    status = api.get(f"_imports/{answer.json()['id']}").json()  # type: ignore[attr-defined]
    assert status["first_errors"] == [
        {"row": 3, "errors": {"employees": ["«x» no es un número entero."]}}
    ]
    report = api.get(status["errors_url"].removeprefix("/t/acme/api/"))
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[0] == ["fila", "errores", "Name", "Industry", "Employees"]
    assert rows[1][:2] == ["3", "employees: «x» no es un número entero."]


def test_english_stays_the_default_of_a_background_import(api: Api, runtime: Runtime) -> None:
    answer = _upload(api)
    Dispatcher(runtime).run_due()
    status = api.get(f"_imports/{answer.json()['id']}").json()  # type: ignore[attr-defined]
    assert status["first_errors"][0]["errors"] == {"employees": ["'x' is not a whole number."]}
    report = api.get(status["errors_url"].removeprefix("/t/acme/api/"))
    assert report.text.splitlines()[0] == "row,errors,Name,Industry,Employees"


def test_a_bad_map_is_refused_in_the_caller_language(api: Api) -> None:
    headers = {**api.headers, "Accept-Language": "es"}
    query = "?map=" + quote(json.dumps({"columns": ["name"]}))
    refused = _upload(api, query, headers)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert refused.json()["errors"]["map"] == ["el mapa: columns debe ser un diccionario."]  # type: ignore[attr-defined]


def test_map_json_column_and_batch_refusals_in_spanish(api: Api) -> None:
    headers = {**api.headers, "Accept-Language": "es"}
    broken = _upload(api, "?map=" + quote("{columns"), headers)
    assert broken.status_code == 400  # type: ignore[attr-defined]
    [why] = broken.json()["errors"]["map"]  # type: ignore[attr-defined]
    assert why.startswith("map no es JSON válido: ")
    english = _upload(api, "?map=" + quote("{columns"))
    assert english.json()["errors"]["map"][0].startswith("map is not valid JSON: ")  # type: ignore[attr-defined]
    unknown = quote(json.dumps({"columns": {"Name": "nmae", "Industry": "total"}}))
    refused = _upload(api, "?map=" + unknown, headers)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    problems = refused.json()["errors"]["file"]  # type: ignore[attr-defined]
    assert "Columna «Name»: account no tiene el campo «nmae»." in problems
    assert "Columna «Industry»: account no tiene el campo «total»." in problems
    assert (
        "El campo obligatorio «name» no tiene columna; añada una o asígnelo con --map." in problems
    )
    batch = _upload(api, "?batch_size=0", headers)
    assert batch.json()["errors"] == {"batch_size": ["Fuera de rango."]}  # type: ignore[attr-defined]
    assert api.get("account").json()["items"] == []
