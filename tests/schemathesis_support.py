"""Schemathesis over one tenant's JSON API: every operation fuzzed, then linked sequences.

The schema is the tenant's own ``openapi.json`` as the caller's token sees it, loaded
through the ASGI app (``schemathesis.openapi.from_asgi``). Every answer passes all of
schemathesis' checks (no 5xx, documented status codes, headers and body schemas,
invalid data refused) and ours: each 4xx body has the error shape of DESIGN.md §7.

One check is narrowed, not dropped. ``positive_data_acceptance`` says a request that
matches the schema must succeed; a few refusals depend on what no JSON Schema can say,
so :func:`tolerated_refusal` lets exactly these through:

- 400 naming only ``filter`` or ``cursor`` (and, on an import, ``map`` or ``key``): a
  rule-language expression, an opaque cursor, a JSON mapping and field names are
  strings whose grammar the schema cannot hold;
- 422 where every message is the package's own (a validation or a rule's ``reject``),
  a reference (or a many_to_many id) to a record that does not exist, an owner who
  is not an active member of the tenant (or a line id
  that is not one of the record's lines, or sent twice), a value of a
  unique field that another record holds, a field left empty that a ``required_when``
  rule asks for, a range of a decimal sent as a string (JSON Schema cannot bound a
  numeric string), or a decimal with more than 15 significant digits on SQLite (it
  keeps decimals in floats; the document is the same on every backend and JSON Schema
  cannot count digits);
- 422 of ``PUT _rates`` for a rate from a currency to itself (two fields that must
  differ).
- 422 naming a field that holds a filter (``filter_of``) with the rule checker's own
  positioned diagnostic: the text is a rule-language expression, a grammar again.
- 415 naming only ``file`` on an upload: its type is sniffed from the bytes, and no
  schema can say which bytes make an accepted format; 422 naming only ``file`` on an
  import upload (a CSV or XLSX whose content cannot be imported);
- 400 of ``_stages`` or ``_forecast`` naming only ``pipeline``, ``entity``, ``field``,
  ``amount`` or ``date``: which names fit depends on the others and on the package
  (an entity whose field follows that pipeline, an amount field of that entity);
- 400 or 422 of ``_merge`` naming only ``survivor``, ``losers`` or ``fields``: a
  survivor among the losers, or a field's winner outside the merge, relate two values.

Examples per operation and mode: ``TRELLIS_SCHEMATHESIS_EXAMPLES`` (default 3); the
stateful run takes as many sequences. Runs are derandomized, so CI repeats them exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckContext
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from trellis.metadata.model import FIELD_TYPES
from trellis.platform.api.app import create_app
from trellis.platform.money.rates import SAME_CURRENCY
from trellis.platform.records.validation import REQUIRED_MESSAGE
from trellis.platform.runtime import Runtime

EXAMPLES = int(os.environ.get("TRELLIS_SCHEMATHESIS_EXAMPLES", "3"))
_REJECT = re.compile(r'reject\s+"((?:[^"\\]|\\.)*)"')
_MISSING = re.compile(r"^No [a-z_]+ with ids? -?[0-9]+(, -?[0-9]+)*(, …)?\.$")
#: An owner who is no active member of the tenant (an id the schema cannot know).
_NOT_MEMBER = re.compile(r"^User -?[0-9]+ is not a member of this tenant\.$")
#: A line id that is not one of the record's lines, or one sent twice (``lines`` fields).
_LINE_ID = re.compile(r"^(This record has no line with id [0-9]+|Line [0-9]+ is sent twice)\.$")
#: The rule checker's diagnostic on a filter-holding field: "Line 1, column 8: RL002 …".
_FILTER = re.compile(r"^Line [0-9]+, column [0-9]+: RL[0-9]{3} ")
_TAKEN = re.compile(r"^Another .+ already has this .+\.$")
#: SQLite keeps a decimal in a float: a number with more digits is refused (422).
_DIGITS = "Use at most 15 significant digits; this database does not store more exactly."
_RANGE = re.compile(r"^Must be (at least|at most|between|more than|less than) ")
#: What every invalid request may answer besides schemathesis' own list: a too long URL.
#: Paths left out of the linked sequences (see ``Fuzzer.sequences``).
_NOT_IN_MERGE = re.compile(r"is neither the survivor nor one of the losers\.$")
SIDE_PATHS = (
    r"/(_deleted|_restore|_history|_merge|_import|_export|_export_jobs|_backups|cancel"
    r"|_stages|_forecast|_dashboards)(/|$)"
)
#: ``_stages`` and ``_forecast`` name a pipeline, the entity and field that follow it and
#: the amount and date fields: names whose fit depends on each other and on the package.
_PIPELINE_NAMES = frozenset({"pipeline", "entity", "field", "amount", "date"})
_REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422"]


def _settings(examples: int, *, shrink: bool = True) -> settings:
    """Derandomized settings; no shrinking for linked sequences, whose replays meet a
    database the earlier runs changed (so the failure found is the one reported)."""
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])]
    return settings(
        phases=phases,
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        stateful_step_count=6,
    )


@dataclass
class Fuzzer:
    """The tenant's schema with the caller's token and what its package may refuse."""

    schema: OpenApiSchema
    headers: dict[str, str]
    messages: frozenset[str]
    decimals: frozenset[str]
    uniques: frozenset[str]
    conditional: frozenset[str]
    filters: frozenset[str] = frozenset()
    seen: list[tuple[str, int]] = field(default_factory=list)

    def tolerated_refusal(self, response: Response, case: Case) -> bool:
        """A refusal of schema-valid data that only the package or the data explain."""
        if response.status_code not in (400, 415, 422):
            return False
        errors: dict[str, list[str]] = response.json()["errors"]
        if response.status_code == 415:
            return "/_files/" in case.operation.path and set(errors) == {"file"}
        if case.operation.path.endswith("/_merge"):
            # The survivor among the losers, a winner not in the merge: ties between values.
            return all(
                name in {"survivor", "losers", "fields"} or _NOT_IN_MERGE.search(m)
                for name, ms in errors.items()
                for m in ms
            )
        if case.operation.path.endswith("/_import") and response.status_code == 422:
            return set(errors) == {"file"}  # the upload's content: no schema describes it
        if response.status_code == 400:
            # as_of: an RFC 3339 date-time the calendar has not (2026-02-30, +24:00);
            # an import's map (JSON text) and key (field names) are grammars too.
            grammars = {"filter", "cursor", "as_of"}
            if case.operation.path.endswith("/_import"):
                grammars |= {"map", "key"}
            if case.operation.path.endswith(("/_stages", "/_forecast")):
                grammars |= _PIPELINE_NAMES
            return set(errors) <= grammars
        if case.path.endswith("/_rates"):
            return all(m == SAME_CURRENCY for ms in errors.values() for m in ms)
        body = case.body if isinstance(case.body, dict) else {}
        for name, messages in errors.items():
            for message in messages:
                numeric = name in self.decimals and isinstance(body.get(name), str)
                if not (
                    message in self.messages
                    or _MISSING.match(message)
                    or _LINE_ID.match(message)
                    or (name.rsplit(".", 1)[-1] == "owner_id" and _NOT_MEMBER.match(message))
                    or (numeric and _RANGE.match(message))
                    or (name in self.decimals and message == _DIGITS)
                    or (name in self.uniques and _TAKEN.match(message))
                    or (name in self.conditional and message == REQUIRED_MESSAGE)
                    or (name in self.filters and _FILTER.match(message))
                ):
                    return False
        return True

    def acceptance(self, ctx: CheckContext, response: Response, case: Case) -> bool | None:
        """``positive_data_acceptance`` less the refusals of :meth:`tolerated_refusal`."""
        if self.tolerated_refusal(response, case):
            return None
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]

    def validate(self, response: Response, case: Case) -> None:
        """Every check on one answer (raises what schemathesis found)."""
        self.seen.append((f"{case.method} {case.path}", response.status_code))
        if 400 <= response.status_code < 500:
            error_shape(response)
        case.validate_response(
            response,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[self.acceptance],
            headers=self.headers,
        )

    def operations(self, examples: int = EXAMPLES) -> list[str]:
        """Fuzz every operation with valid and invalid data; the failures found."""
        failures = []
        for result in self.schema.get_all_operations():
            operation = result.ok()
            # An operation without parameters or body (GET _meta/versions) has no
            # invalid request to generate: Hypothesis would find none to try.
            has_input = any(p.name != "Authorization" for p in operation.iter_parameters()) or bool(
                operation.get_request_payload_content_types()
            )
            modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if has_input else [])]
            for mode in modes:

                @_settings(examples)
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: Case) -> None:
                    self.validate(case.call(headers=self.headers), case)

                try:
                    run()
                except Exception as exc:  # every failure of every operation, at once
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
        return failures

    def sequences(self, examples: int = EXAMPLES, *, only: str | None = None) -> None:
        """Follow the document's links in linked sequences of calls (raises on failure);
        ``only``: a path pattern the sequences keep to (one entity's lifecycle)."""
        fuzzer = self

        # The recycle bin, history, merge, import, export and backup operations (and an
        # import's cancel), pipeline reports and dashboards are fuzzed one by one above;
        # left in the sequences, their entry points (a bin listing, a restore of a random
        # id) would take most of the few derandomized steps from the record's lifecycle.
        lifecycle = self.schema.exclude(path_regex=SIDE_PATHS)
        if only is not None:
            lifecycle = lifecycle.include(path_regex=only)

        class Machine(lifecycle.as_state_machine()):  # type: ignore[misc]
            def get_call_kwargs(self, case: Case) -> dict[str, Any]:
                return {"headers": fuzzer.headers}

            def validate_response(  # type: ignore[override]
                self, response: Response, case: Case, **kwargs: Any
            ) -> None:
                fuzzer.validate(response, case)

        Machine.run(settings=_settings(examples, shrink=False))

    def statuses(self, operation: str) -> set[int]:
        """The statuses that ``operation`` ("POST /t/…/api/account") answered so far."""
        return {status for label, status in self.seen if label == operation}


def error_shape(response: Response) -> None:
    """A 4xx body is ``{"errors": {"field": ["message", …]}}`` (DESIGN.md §7)."""
    body = response.json()
    assert isinstance(body, dict), body
    errors = body.get("errors")
    assert isinstance(errors, dict) and errors, body
    for key, messages in errors.items():
        assert isinstance(key, str) and isinstance(messages, list) and messages, body
        assert all(isinstance(m, str) and m for m in messages), body


def package_messages(runtime: Runtime, tenant: str) -> frozenset[str]:
    """The messages a tenant's package refuses a save with: validations and rejects."""
    app = runtime.app(tenant)
    found = {v.message for e in app.entities.values() for v in e.validations}
    for source in app.model.rule_sources:
        found.update(_REJECT.findall(source.text))
    return frozenset(found)


@contextmanager
def fuzzer(runtime: Runtime, tenant: str, token: str) -> Iterator[Fuzzer]:
    """A :class:`Fuzzer` of ``tenant``'s API as ``token`` sees it, on its own ASGI app."""
    headers = {"Authorization": f"Bearer {token}"}
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "checks": {"negative_data_rejection": {"expected-statuses": _REJECTIONS}},
        }
    )
    app = create_app(runtime)
    path = f"/t/{tenant}/api/openapi.json"
    try:
        # A generous load timeout: the first request builds the tenant's document, and a
        # busy CI machine took over schemathesis' default 10 s once.
        schema = schemathesis.openapi.from_asgi(
            path, app, config=config, headers=headers, timeout=120
        )
        entities = runtime.app(tenant).entities.values()
        fields = [f for e in entities for f in e.entity.fields.values()]
        decimals = frozenset(f.name for f in fields if FIELD_TYPES[f.type].decimal)
        uniques = frozenset(f.name for f in fields if f.unique)
        conditional = frozenset(f.name for f in fields if f.required_when)
        messages = package_messages(runtime, tenant)
        filters = frozenset(f.name for f in fields if f.filter_of)
        yield Fuzzer(schema, headers, messages, decimals, uniques, conditional, filters)
    finally:
        asgi.shutdown_lifespans()


__all__ = ["EXAMPLES", "Fuzzer", "error_shape", "fuzzer", "package_messages"]
