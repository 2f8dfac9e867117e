"""Schema pieces every domain uses: ids or codes, and validation errors in Chinese first."""

import re
from typing import Any

from marshmallow import ValidationError, fields

from hall.ids import MAX_ID, as_id

__all__ = ["MAX_ID", "as_id"]  # re-exported: older imports name them here


class IdOrCode(fields.Field):
    """An integer id or a short code string (OpenAPI: integer or string)."""

    def __init__(self, **kwargs) -> None:
        metadata = {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                {"type": "string", "minLength": 1, "maxLength": 40},
            ],
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int | str:
        if isinstance(value, bool):
            raise ValidationError("需要编号或代码 / expected an id or a code")
        if isinstance(value, int):
            if value < 1 or value > MAX_ID:
                raise ValidationError("编号超出范围 / id out of range")
            return value
        if isinstance(value, str) and 1 <= len(value) <= 40:
            if as_id(value) == 0:
                raise ValidationError("编号超出范围 / id out of range")
            return value
        raise ValidationError("需要编号或代码 / expected an id or a code (1–40 characters)")


# marshmallow speaks English; residents and clerks read Chinese first.
_MESSAGES = {
    "Missing data for required field.": "必填 / required",
    "Field may not be null.": "不能为空 / may not be null",
    "Unknown field.": "未知字段 / unknown field",
    "Not a valid string.": "需要文字 / not a valid string",
    "Not a valid integer.": "需要整数 / not a valid integer",
    "Invalid input type.": "输入类型无效 / invalid input type",
}


_LENGTH = re.compile(r"^Length must be between (\d+) and (\d+)\.$")
_RANGE = re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$")


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            name = "" if key in ("json", "_schema", "_") else str(key)
            parts += _flatten(value, f"{prefix}.{name}".strip(".") if name else prefix)
        return parts
    if isinstance(messages, list | tuple):
        return [part for item in messages for part in _flatten(item, prefix)]
    text = str(messages)
    if text in _MESSAGES:
        text = _MESSAGES[text]
    elif found := _LENGTH.match(text):
        text = f"长度须为 {found[1]}–{found[2]} / {text}"
    elif found := _RANGE.match(text):
        text = f"须在 {found[1]} 到 {found[2]} 之间 / {text}"
    elif text.isascii():
        text = f"格式无效 / {text}"
    return [f"{prefix}: {text}" if prefix else text]


def describe(messages: Any) -> str:
    """A validation error as one readable line, Chinese first: 参数无效 / invalid input: …"""
    return "参数无效 / invalid input: " + "; ".join(_flatten(messages))


# -- response schemas (OpenAPI 3.1 JSON Schema): what each route answers -------------------------
# Declared next to the routes with ``@answers(...)``; the error statuses and their body are
# added to every operation by ``hall.security.document_errors``. Objects name the fields every
# answer carries (required) and may carry more (additionalProperties stays open), so a client
# can rely on what is listed and a new field never breaks one.

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
OBJ: dict[str, Any] = {"type": "object"}
ANY: dict[str, Any] = {}


def opt(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, or null."""
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def arr(items: dict[str, Any] = ANY) -> dict[str, Any]:
    """An array of items."""
    return {"type": "array", "items": items}


def obj(**props: dict[str, Any]) -> dict[str, Any]:
    """An object that always carries these properties (and may carry more)."""
    return {"type": "object", "required": sorted(props), "properties": props}


def also(schema: dict[str, Any], **optional: dict[str, Any]) -> dict[str, Any]:
    """The object schema with properties that only some answers carry."""
    return {**schema, "properties": {**schema["properties"], **optional}}


def answers(
    schema: dict[str, Any],
    status: int = 200,
    description: str = "成功 / OK",
    content_type: str = "application/json",
):
    """Document a route's successful answer; put it above the route's ``@bp.doc``."""

    def decorate(view):
        spec = view.__dict__.setdefault("_spec", {})
        spec["responses"] = {
            status: {"description": description, "content": {content_type: {"schema": schema}}}
        }
        return view

    return decorate


def field_messages(messages: Any) -> dict[str, str]:
    """The messages of a body's top-level fields, {field: text}, for forms to show beside
    each field (nested paths are named by their top-level field)."""
    body = messages.get("json", messages) if isinstance(messages, dict) else {}
    if not isinstance(body, dict):
        return {}
    out = {}
    for key, value in body.items():
        if key in ("_schema", "_"):
            continue
        out[str(key)] = "; ".join(_flatten(value))
    return out
