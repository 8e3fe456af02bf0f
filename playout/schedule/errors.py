"""pydantic's validation errors turned into an operator's problems: where (file:line:column of
the value or key), what is wrong in words, and a hint ("did you mean ...?", the expected shape).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

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


def _shape(model: type[BaseModel] | None) -> str:
    """How a value of ``model`` is written, e.g. ``{file: ..., title: ..., weight: ...}``."""
    if model is None:
        return ""
    fields = model.model_fields
    names = [f.alias or n for n, f in fields.items() if f.is_required()]
    names += [f.alias or n for n, f in fields.items() if not f.is_required()]
    shown = ", ".join(f"{n}: ..." for n in names[:4]) + (", ..." if len(names) > 4 else "")
    return f"write it as {{{shown}}}"


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


def _friendly(err: Any, root: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    value = err.get("input")
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])), ""
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {shown}", ""
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, got {shown}", ""
    if kind in ("bool_parsing", "bool_type"):
        return f"expected yes or no, got {shown}", "write true or false"
    if kind in ("string_type",):
        return f"expected text, got {shown}", "put the text in quotes"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return (
                f"{shown} is not a valid id",
                'use lower-case letters, digits, "-" and "_", e.g. "bluezone"',
            )
        if ctx.get("pattern") == URL_PATTERN:
            return (
                f"{shown} is not a web address",
                "write the hub's address with http:// or https://, e.g. "
                '"https://hub.longan.gov.vn"',
            )
        return (
            f"{shown} is not a valid station id",
            'use lower-case words joined by "/", e.g. "long-an/tan-an"',
        )
    if kind == "string_too_short":
        return "must not be empty", ""
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)", ""
    if kind == "greater_than_equal":
        return f"{shown} is too small: it must be at least {ctx.get('ge')}", ""
    if kind == "less_than_equal":
        return f"{shown} is too large: it must be at most {ctx.get('le')}", ""
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",")]
        return f"{shown} is not one of: {expected}", did_you_mean(str(value), choices)
    if kind == "list_type":
        return f"expected a list, got {shown}", "write a list as [a, b] or as lines starting '- '"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected keys and values (a mapping), got {shown}", _shape(
            _model_at(root, err["loc"])
        )
    if kind == "too_short":
        return "the list is empty", "give at least one item"
    if kind == "missing":
        name = err["loc"][-1] if err["loc"] else "?"
        return f'the key "{name}" is missing', _shape(_model_at(root, err["loc"][:-1]))
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        model = _model_at(root, err["loc"][:-1])
        choices = _field_names(model) if model else []
        return f'unknown key "{name}"', did_you_mean(name, choices)
    return str(err["msg"]), ""


def validate_model(
    model: type[BaseModel], doc: Document, problems: list[Problem]
) -> BaseModel | None:
    """``doc`` validated as ``model``; every error appended to ``problems`` (then None)."""
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.append(
            error(doc.where(()), "the file must hold keys and values (a mapping) at the top")
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
                message = f"{prefix}: {message}"
            problems.append(error(where, message, hint))
        return None
