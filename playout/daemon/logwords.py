"""The daemon's log lines in the operator's language.

A log call keeps its English %-format string (``log.info("on air %s %s (%s)%s", ...)``): that
string is the catalogue's key, so the code, the tests and a maintainer's grep read the same
English. :class:`WordsFormatter` looks the record's format string up in the catalogue
(``playout/locale/vi.po``) and formats the record's arguments into the translation (an argument
that is a message, :class:`~playout.i18n.Msg`, said in the same language); a line with
no translation, or the flood filter's "(repeated N times since ...)" ending, is shown as it is
or with that ending translated.
"""

from __future__ import annotations

import copy
import logging
import re

from playout.i18n import Msg, Words, msg

_REPEATED = re.compile(r"^(?P<base>.*) \(repeated (?P<n>\d+) times since %s\)$", re.DOTALL)
REPEATED = msg(" (repeated {n} times since %s)").template  # the flood filter's (logsummary.py)


class WordsFormatter(logging.Formatter):
    def __init__(self, fmt: str, words: Words) -> None:
        super().__init__(fmt)
        self.words = words

    def format(self, record: logging.LogRecord) -> str:
        said = self._translated(record.msg) if isinstance(record.msg, str) else None
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, Msg) for a in args):
            args = tuple(self.words(a) if isinstance(a, Msg) else a for a in args)
        if said is not None or args is not record.args:
            record = copy.copy(record)  # other handlers format the record as it came
            record.msg = said if said is not None else record.msg
            record.args = args
        return super().format(record)

    def _translated(self, text: str) -> str | None:
        catalogue = self.words.catalogue
        if not catalogue:
            return None
        if text in catalogue:
            return catalogue[text]
        repeated = _REPEATED.match(text)
        if repeated is None:
            return None
        base = catalogue.get(repeated["base"], repeated["base"])
        ending = catalogue.get(REPEATED, REPEATED).format(n=repeated["n"])
        return base + ending
