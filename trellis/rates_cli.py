"""``trellis rates set|list|import``: a tenant's dated exchange rates (docs/currencies.md).

``trellis rates set TENANT EUR USD 1.08 --date 2026-01-31`` stores that one EUR is worth
1.08 USD from that day on; ``list`` prints one rate a line (``date from to rate``);
``import`` reads a CSV file with a ``date,from,to,rate`` header, all rows or none.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.cli_text import cli_translator
from trellis.platform.config import check_tenant_name, config_from_env

if TYPE_CHECKING:
    from trellis.platform.i18n import Translator
    from trellis.platform.money.rates import RateError
    from trellis.platform.runtime import Runtime

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _runtime(args: argparse.Namespace) -> Runtime:
    from trellis.platform.runtime import Runtime

    check_tenant_name(args.tenant)
    return Runtime(config_from_env(args.data_dir))


def _problems(error: RateError) -> str:
    """A refused rate or file: each bad part with its messages, in the CLI's language."""
    t = cli_translator()
    lines = [
        f"{_part(t, key)}: {t.message(m)}"
        for key, messages in error.errors.items()
        for m in messages
    ]
    return "\n".join([t.gettext("the rates were not stored:"), *lines])


def _part(t: Translator, key: str) -> str:
    """A bad part's name as shown: ``line 3`` of a file is translated, field names kept."""
    if key.startswith("line ") and key[5:].isdigit():
        return t.gettext("line %(num)s", num=key[5:])
    return key


@contextmanager
def _rates_table(tenant: str) -> Iterator[None]:
    """Explain a database error: a tenant published before rates existed lacks the table."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.DBAPIError as error:
        raise ValueError(
            cli_translator().gettext(
                "cannot read or write the exchange rates of '%(tenant)s' (%(reason)s); "
                "a tenant published before rates existed gets its _rates table from "
                "'trellis migrate --tenant %(tenant)s'.",
                tenant=tenant,
                reason=str(error.orig),
            )
        ) from None


def cmd_rates_set(args: argparse.Namespace) -> None:
    from trellis.platform.money.rates import RateError, parse_rate
    from trellis.platform.money.service import store_rates

    try:
        rate = parse_rate(args.source, args.target, args.rate, args.date)
    except RateError as error:  # each message, as RateError joins them, in the CLI's language
        t = cli_translator()
        messages = [t.message(m) for ms in error.errors.values() for m in ms]
        raise ValueError("; ".join(messages)) from None
    runtime = _runtime(args)
    try:
        runtime.app(args.tenant)
        with _rates_table(args.tenant):
            store_rates(runtime, args.tenant, [rate], None)
    finally:
        runtime.close()
    _out(_rate_line(cli_translator(), rate.as_json()))


def cmd_rates_list(args: argparse.Namespace) -> None:
    from trellis.platform.money.service import show_rates
    from trellis.platform.money.units import is_currency

    if args.currency is not None and not is_currency(args.currency):
        raise ValueError(
            cli_translator().gettext(
                "'%(code)s' is not an ISO 4217 currency code such as EUR.", code=args.currency
            )
        )
    runtime = _runtime(args)
    try:
        with _rates_table(args.tenant):
            body = show_rates(runtime, args.tenant, args.currency)
    finally:
        runtime.close()
    t = cli_translator()
    base = body["base"] or t.gettext("(none declared in app.yaml)")
    _out(t.gettext("base currency: %(base)s", base=base))
    for item in body["items"]:
        _out(_rate_line(t, item))


def _rate_line(t: Translator, item: Mapping[str, str]) -> str:
    """One rate of ``rates list`` or ``set``: its day, the two currencies and the rate,
    every digit kept, as the CLI's language writes the number (``1,08`` in Spanish)."""
    from decimal import Decimal

    from babel.numbers import format_decimal

    return t.gettext(
        "%(date)s %(source)s %(target)s %(rate)s",
        date=item["date"],
        source=item["from"],
        target=item["to"],
        rate=format_decimal(
            Decimal(item["rate"]),
            locale=t.locale,
            decimal_quantization=False,
            group_separator=False,
        ),
    )


def cmd_rates_import(args: argparse.Namespace) -> None:
    from trellis.platform.money.rates import RateError
    from trellis.platform.money.service import rates_from_csv, store_rates

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(
            cli_translator().gettext(
                "cannot read '%(path)s': %(reason)s", path=str(path), reason=str(error)
            )
        ) from None
    try:
        rates = rates_from_csv(text)
    except RateError as error:
        raise ValueError(_problems(error)) from None
    runtime = _runtime(args)
    try:
        runtime.app(args.tenant)
        with _rates_table(args.tenant):
            store_rates(runtime, args.tenant, rates, None)
    finally:
        runtime.close()
    _out(
        cli_translator().ngettext(
            "%(num)s rate stored in '%(tenant)s'.",
            "%(num)s rates stored in '%(tenant)s'.",
            len(rates),
            tenant=args.tenant,
        )
    )


def add_rates_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """``rates set``, ``rates list`` and ``rates import``."""
    rates = sub.add_parser("rates", help="exchange rates").add_subparsers(
        dest="rates_command", required=True
    )
    put = with_data_dir(rates.add_parser("set", help="set the rate of a currency pair on a date"))
    put.add_argument("tenant", help="the tenant's name")
    put.add_argument("source", metavar="FROM", help="ISO 4217 code, e.g. EUR")
    put.add_argument("target", metavar="TO", help="ISO 4217 code, e.g. USD")
    put.add_argument("rate", metavar="RATE", help="how many TO one FROM is worth, e.g. 1.08")
    put.add_argument("--date", required=True, help="the day the rate applies from (YYYY-MM-DD)")
    put.set_defaults(func=cmd_rates_set)
    show = with_data_dir(rates.add_parser("list", help="list the tenant's rates"))
    show.add_argument("tenant", help="the tenant's name")
    show.add_argument("--currency", default=None, help="only rates from or to this currency")
    show.set_defaults(func=cmd_rates_list)
    load = with_data_dir(rates.add_parser("import", help="import rates from a CSV file"))
    load.add_argument("tenant", help="the tenant's name")
    load.add_argument("file", help="CSV with a header date,from,to,rate")
    load.set_defaults(func=cmd_rates_import)


__all__ = ["add_rates_commands"]
