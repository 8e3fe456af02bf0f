"""Words for operators, in their language: one message catalogue.

A message meant for an operator is written as :func:`msg` — an English template with named
fields, and its values — wherever it is made (the schedule loader, the planner's checks, the
daemon's answers). It stays a value until it is shown: ``str()`` gives the English text (what
logs and the as-run log store), and :class:`Words` renders it in the operator's language from
the catalogue ``playout/locale/<language>.po`` (gettext's format, read with Babel; the English
template is the msgid). A value that is itself a message is rendered in the same language; a
plain string (a file name, a message from ffmpeg) is shown as it is.

The language is Vietnamese unless ``--lang en`` or ``PLAYOUT_LANG=en`` says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@dataclass(frozen=True)
class Msg:
    """An operator message: the English template (the catalogue's key) and its values."""

    template: str
    values: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return Words("en")(self)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able (the daemon's answers carry problems to the CLI): values as text, a
        message value as a dict of its own."""
        return {
            "template": self.template,
            "values": {
                k: v.as_dict() if isinstance(v, Msg) else v if _plain(v) else str(v)
                for k, v in self.values
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Msg:
        values = d.get("values") or {}
        return cls(
            str(d["template"]),
            tuple(
                (k, cls.from_dict(v) if isinstance(v, dict) and "template" in v else v)
                for k, v in values.items()
            ),
        )


Text = str | Msg


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def msg(template: str, **values: Any) -> Msg:
    """A message for operators: ``template`` in English with ``{name}`` fields."""
    return Msg(template, tuple(values.items()))


@lru_cache(maxsize=len(LANGUAGES))
def _entries(language: str) -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> msgstr of ``locale/<language>.po``, translated entries only."""
    from babel.messages.pofile import read_po

    with (LOCALE / f"{language}.po").open("rb") as f:
        catalogue = read_po(f, locale=language)
    return {
        (m.context, str(m.id)): str(m.string)
        for m in catalogue
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


@lru_cache(maxsize=len(LANGUAGES))
def _catalogue(language: str) -> dict[str, str]:
    """msgid -> msgstr of the messages (entries without a context; English needs none)."""
    if language == "en":
        return {}
    return {i: s for (context, i), s in _entries(language).items() if context is None}


def table(language: str, name: str, english: Mapping[str, str]) -> dict[str, str]:
    """A table of words (the reports' ``report``, the dashboard's ``dashboard``) in
    ``language``: each entry's English text is its msgid and ``<name>:<key>`` its context (one
    English word can need two Vietnamese ones: "Station" is "Đơn vị" atop a report and "Đài" in
    its columns). An entry not yet translated stays English (tests/test_words.py fails then)."""
    if language == "en":
        return dict(english)
    found = _entries(language)
    return {k: found.get((f"{name}:{k}", e), e) for k, e in english.items()}


def language_from(option: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The operator's language: the option, else PLAYOUT_LANG, else Vietnamese."""
    env = os.environ if env is None else env
    chosen = (option or env.get("PLAYOUT_LANG") or DEFAULT_LANGUAGE).strip().lower()
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


class Words:
    """Renders messages in one language."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no catalogue for language {language!r}; known: {LANGUAGES}")
        self.language = language
        self.catalogue = _catalogue(language)

    def __call__(self, text: Text) -> str:
        if not isinstance(text, Msg):
            return text
        template = self.catalogue.get(text.template, text.template)
        values = {k: self(v) if isinstance(v, Msg) else v for k, v in text.values}
        return template.format(**values)


class Said(Exception):
    """An exception meant for operators: ``message`` and ``hint`` in English (logs keep them),
    ``said`` and ``hinted`` as messages (the CLI renders them in the operator's language)."""

    def __init__(self, message: Text, hint: Text = "") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.hint = str(hint)
        self.said = message
        self.hinted = hint
