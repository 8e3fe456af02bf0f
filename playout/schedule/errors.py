"""pydantic's validation errors turned into an operator's problems: where (file:line:column of
the value or key), what is wrong in words, and a hint ("did you mean ...?", the expected shape).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from playout.i18n import Msg, Text, msg
from playout.problems import Problem, did_you_mean, error
from playout.schedule.model import ID_PATTERN, URL_PATTERN
from playout.schedule.yamlsrc import Document, PathKey


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple, frozenset, set):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int) or part not in _field_names(model):
            continue  # a list index or a dict key: same model
        field_ = _field_by_name(model, str(part))
        models = _unwrap(field_.annotation) if field_ is not None else []
        model = models[0] if models else None
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_by_name(model: type[BaseModel], name: str) -> Any:
    for fname, f in model.model_fields.items():
        if (f.alias or fname) == name:
            return f
    return None


def _shape(model: type[BaseModel] | None) -> Text:
    """How a value of ``model`` is written, e.g. ``{file: ..., title: ..., weight: ...}``."""
    if model is None:
        return ""
    fields = model.model_fields
    names = [f.alias or n for n, f in fields.items() if f.is_required()]
    names += [f.alias or n for n, f in fields.items() if not f.is_required()]
    shown = ", ".join(f"{n}: ..." for n in names[:4]) + (", ..." if len(names) > 4 else "")
    return msg("write it as {shape}", shape=f"{{{shown}}}")


def _path_text(loc: Sequence[str | int]) -> str:
    """Where in the file, as an operator counts: "campaigns #1.sessions" is the first
    campaign's sessions (list positions from 1; the file:line beside it points there)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f" #{part + 1}"
        else:
            text += ("." if text else "") + str(part)
    return text


def _friendly(err: Any, root: type[BaseModel]) -> tuple[Text, Text]:
    kind = err["type"]
    value = err.get("input")
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        raised = ctx.get("error")
        said = raised.args[0] if isinstance(raised, ValueError) and raised.args else None
        return (said if isinstance(said, Msg) else str(raised or err["msg"])), ""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return msg("expected a whole number, got {value}", value=shown), ""
    if kind in ("float_parsing", "float_type"):
        return msg("expected a number, got {value}", value=shown), ""
    if kind in ("bool_parsing", "bool_type"):
        return msg("expected yes or no, got {value}", value=shown), msg("write true or false")
    if kind in ("string_type",):
        return msg("expected text, got {value}", value=shown), msg("put the text in quotes")
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return (
                msg("{value} is not a valid id", value=shown),
                msg('use lower-case letters, digits, "-" and "_", e.g. "bluezone"'),
            )
        if ctx.get("pattern") == URL_PATTERN:
            return (
                msg("{value} is not a web address", value=shown),
                msg(
                    "write the hub's address with http:// or https://, e.g. "
                    '"https://hub.longan.gov.vn"'
                ),
            )
        return (
            msg("{value} is not a valid station id", value=shown),
            msg('use lower-case words joined by "/", e.g. "long-an/tan-an"'),
        )
    if kind == "string_too_short":
        return msg("must not be empty"), ""
    if kind == "string_too_long":
        return msg("is too long (at most {n} characters)", n=ctx.get("max_length")), ""
    if kind == "greater_than_equal":
        return msg(
            "{value} is too small: it must be at least {n}", value=shown, n=ctx.get("ge")
        ), ""
    if kind == "less_than_equal":
        return msg("{value} is too large: it must be at most {n}", value=shown, n=ctx.get("le")), ""
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",")]
        return (
            msg("{value} is not one of: {choices}", value=shown, choices=expected),
            did_you_mean(str(value), choices),
        )
    if kind == "list_type":
        return (
            msg("expected a list, got {value}", value=shown),
            msg("write a list as [a, b] or as lines starting '- '"),
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return msg("expected keys and values (a mapping), got {value}", value=shown), _shape(
            _model_at(root, err["loc"])
        )
    if kind == "too_short":
        return msg("the list is empty"), msg("give at least one item")
    if kind == "missing":
        name = err["loc"][-1] if err["loc"] else "?"
        return msg('the key "{name}" is missing', name=name), _shape(
            _model_at(root, err["loc"][:-1])
        )
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        model = _model_at(root, err["loc"][:-1])
        choices = _field_names(model) if model else []
        return msg('unknown key "{name}"', name=name), did_you_mean(name, choices)
    return str(err["msg"]), ""


def validate_model(
    model: type[BaseModel], doc: Document, problems: list[Problem]
) -> BaseModel | None:
    """``doc`` validated as ``model``; every error appended to ``problems`` (then None)."""
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.append(
            error(doc.where(()), msg("the file must hold keys and values (a mapping) at the top"))
        )
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc: PathKey = tuple(err["loc"])
            kind = err["type"]
            # pydantic adds "[key]" parts for dict keys; keep the path as written
            if kind == "extra_forbidden":
                where = doc.where(loc, key=True)
            elif kind == "missing":
                where = doc.where(loc[:-1])
            else:
                where = doc.where(loc)
            message, hint = _friendly(err, model)
            # for a missing or unknown key, name the mapping it is (not) in
            owner = loc[:-1] if kind in ("missing", "extra_forbidden") else loc
            prefix = _path_text([p for p in owner if p != "[key]"])
            if prefix:
                message = msg("{where}: {message}", where=prefix, message=message)
            problems.append(error(where, message, hint))
        return None
