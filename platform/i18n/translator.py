"""One locale's view of the platform: catalogue messages, metadata labels, formatted values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import dates, numbers

from trellis.metadata.model import AppModel, FieldDef, FieldType
from trellis.metadata.model.local_text import DEFAULT_LOCALE, LocalText, Translatable, label_for
from trellis.platform.i18n.catalogue import translations
from trellis.platform.i18n.date_format import format_date
from trellis.platform.i18n.negotiation import supported
from trellis.platform.i18n.number_format import format_fixed, format_money, format_number


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, sorted (for a picker)."""
    return tuple(sorted(available_timezones()))


def known_zone(zone: str | None) -> str | None:
    """``zone`` when it is an IANA time zone this machine knows, else None."""
    return zone if zone and zone in zone_names() else None


@dataclass(frozen=True, slots=True)
class Translator:
    """Everything a screen, e-mail or message needs to speak ``locale``.

    Build one per request (it is cheap: the catalogue is shared) and call
    ``gettext`` (``pgettext`` with a context) for platform wording, ``label`` for
    metadata text, ``value_label`` for enum, stage and state values, and
    ``date``/``number``/``money`` for values.
    """

    locale: str = DEFAULT_LOCALE
    #: The reader's IANA time zone: datetimes are shown in it (stored UTC).
    zone: str = "UTC"

    def __post_init__(self) -> None:
        # An unknown locale falls back to English (``es_MX`` is Spanish), never an error.
        object.__setattr__(self, "locale", supported(self.locale) or DEFAULT_LOCALE)
        object.__setattr__(self, "zone", known_zone(self.zone) or "UTC")

    def gettext(self, message: str, **params: Any) -> str:
        """The catalogue's translation of ``message``, with ``%(name)s`` filled from params.

        A parameter that is metadata text (a LocalText label) is given in this locale.
        """
        text = translations(self.locale).gettext(message)
        return text % localized(params, self.locale) if params else text

    def pgettext(self, context: str, message: str, **params: Any) -> str:
        """``message`` as the catalogue translates it in ``context`` (a ``msgctxt``): the
        same English word may need different translations in different places."""
        text = str(translations(self.locale).pgettext(context, message))
        return text % localized(params, self.locale) if params else text

    def ngettext(self, singular: str, plural: str, count: int, **params: Any) -> str:
        """The singular or plural translation for ``count`` (``%(num)s`` is the count)."""
        text = translations(self.locale).ngettext(singular, plural, count)
        return text % {"num": count, **params}

    def label(self, text: str | None) -> str:
        """Metadata text (a plain string or ``{en: …, es: …}``) in this locale."""
        return label_for(text, self.locale)

    def message(self, text: str) -> str:
        """A platform message in this locale: a Translatable is looked up, other text kept.

        Its parameters that are metadata text (LocalText) or messages themselves
        (Translatable) are given in this locale too.
        """
        if isinstance(text, Translatable):
            translated = translations(self.locale).gettext(text.msgid)
            if not text.params:
                return translated
            return translated % {key: self._param(v) for key, v in text.params.items()}
        return self.label(text)

    def _param(self, value: Any) -> Any:
        if isinstance(value, Translatable | LocalText):
            return self.message(value)
        return value

    def value_label(self, model: AppModel, field: FieldDef, value: Any) -> str:
        """How an enum option, pipeline stage or workflow state is shown: its label."""
        if value is None or value == "":
            return ""
        if field.type == FieldType.PIPELINE and field.pipeline:
            pipeline = model.pipelines.get(field.pipeline)
            stage = pipeline.stage(str(value)) if pipeline else None
            return self.label(stage.label) if stage else str(value)
        if field.option_labels:
            return self.label(field.option_label(str(value)))
        return str(value)

    def value_labels(self, model: AppModel, field: FieldDef) -> Mapping[str, str]:
        """Every option of ``field`` with its label, in option order."""
        return {option: self.value_label(model, field, option) for option in field.options}

    def date(self, value: dt.date | None, form: str = "medium") -> str:
        """A date as this locale writes it (``3 dic 2026``, ``Dec 3, 2026``)."""
        return "" if value is None else format_date(value, form, self.locale)

    def datetime(self, value: dt.datetime | None, form: str = "medium") -> str:
        """A date and time as this locale writes it, in the reader's zone (naive = UTC)."""
        if value is None:
            return ""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        local = aware.astimezone(ZoneInfo(self.zone))
        return dates.format_datetime(local, format=form, tzinfo=local.tzinfo, locale=self.locale)

    def number(self, value: int | float | Decimal | None) -> str:
        """A number with this locale's grouping and decimal signs (``1.234,5``)."""
        if value is None:
            return ""
        return format_number(
            Decimal(str(value)) if isinstance(value, float) else Decimal(value), self.locale
        )

    def money(self, value: int | float | Decimal | None, currency: str | None = None) -> str:
        """An amount with its currency (``1.234,50 €``), or as a number without one."""
        if value is None:
            return ""
        amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not currency:
            return format_fixed(amount, 2, self.locale)
        return format_money(amount, currency, self.locale)

    def percent(self, value: int | float | Decimal | None) -> str:
        """A percentage given in points (``25`` -> ``25 %`` in Spanish)."""
        if value is None:
            return ""
        return numbers.format_percent(Decimal(str(value)) / 100, locale=self.locale)


def localized(value: Any, locale: str) -> Any:
    """A JSON-like ``value`` with every per-locale text (LocalText) in ``locale``."""
    if isinstance(value, LocalText):
        return value.get(locale)
    if isinstance(value, dict):
        return {key: localized(item, locale) for key, item in value.items()}
    if isinstance(value, list):
        return [localized(item, locale) for item in value]
    return value


__all__ = ["Translator", "known_zone", "localized", "zone_names"]
