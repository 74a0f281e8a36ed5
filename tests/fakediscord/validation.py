"""Message validation: the limits Discord enforces, so an over-long answer fails here too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .routing import _HTTPError
from .wire import ATTACHMENT_SIZE_LIMIT, JSON

MAX_FILES = 10
_TEXT_INPUT_MAX = 4000
_MODAL_TITLE_MAX = 45
_LABEL_MAX = 45


def _err(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> JSON:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _validate_embeds(embeds: Sequence[Any]) -> JSON:
    errors: JSON = {}
    if len(embeds) > 10:
        errors["_errors"] = _too_long(10)["_errors"]
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            errors[str(i)] = _err("MODEL_TYPE_CONVERT", "Only dictionaries may be used.")
            continue
        e: JSON = {}
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                e[key] = _too_long(limit)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            e["fields"] = _too_long(25)
        for j, fld in enumerate(fields):
            fe: JSON = {}
            name, value = str(fld.get("name") or ""), str(fld.get("value") or "")
            total += len(name) + len(value)
            if not name.strip():
                fe["name"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(name) > 256:
                fe["name"] = _too_long(256)
            if not value.strip():
                fe["value"] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(value) > 1024:
                fe["value"] = _too_long(1024)
            if fe:
                e.setdefault("fields", {})[str(j)] = fe
        footer = (embed.get("footer") or {}).get("text") or ""
        total += len(footer)
        if len(footer) > 2048:
            e["footer"] = {"text": _too_long(2048)}
        author = (embed.get("author") or {}).get("name") or ""
        total += len(author)
        if len(author) > 256:
            e["author"] = {"name": _too_long(256)}
        if e:
            errors[str(i)] = e
    if total > 6000:
        errors.setdefault("_errors", []).append(
            {
                "code": "MAX_EMBED_SIZE_EXCEEDED",
                "message": "Embed size exceeds maximum size of 6000",
            }
        )
    return errors


def _validate_components(components: Sequence[Any], flags: int) -> JSON:
    errors: JSON = {}
    v2 = bool(flags & (1 << 15))
    if not v2 and len(components) > 5:
        errors["_errors"] = _too_long(5)["_errors"]

    def walk(items: Sequence[Any], path: list[str]) -> None:
        for i, comp in enumerate(items):
            if not isinstance(comp, Mapping):
                continue
            custom_id = comp.get("custom_id")
            if custom_id is not None and len(str(custom_id)) > 100:
                node = errors
                for p in [*path, str(i)]:
                    node = node.setdefault(p, {})
                node["custom_id"] = _too_long(100)
            if comp.get("type") == 1 and not v2 and len(comp.get("components") or []) > 5:
                node = errors
                for p in [*path, str(i)]:
                    node = node.setdefault(p, {})
                node["components"] = _too_long(5)
            children = comp.get("components")
            if isinstance(children, list):
                walk(children, [*path, str(i), "components"])

    walk(components, [])
    return errors


def _validate_files(sizes: Sequence[int]) -> None:
    """Raise what Discord answers to more than 10 files, or files over the upload limit."""
    if len(sizes) > MAX_FILES:
        raise _HTTPError(400, 50035, "Invalid Form Body", {"files": _too_long(MAX_FILES)})
    if sum(sizes) > ATTACHMENT_SIZE_LIMIT:
        raise _HTTPError(413, 40005, "Request entity too large")


def text_inputs(modal: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The text inputs of a modal, in action rows or in labels."""
    found: list[Mapping[str, Any]] = []
    for row in modal.get("components") or []:
        children = list(row.get("components") or [])
        if row.get("component") is not None:
            children.append(row["component"])
        found += [c for c in children if isinstance(c, Mapping) and c.get("type") == 4]
    return found


def _validate_modal(modal: Mapping[str, Any]) -> None:
    """Raise the 400 Discord sends for a modal it would not show (limits of its text inputs)."""
    errors: JSON = {}
    if len(str(modal.get("title") or "")) > _MODAL_TITLE_MAX:
        errors["title"] = _too_long(_MODAL_TITLE_MAX)
    for i, box in enumerate(text_inputs(modal)):
        e: JSON = {}
        max_length = box.get("max_length")
        if max_length is not None and not 1 <= int(max_length) <= _TEXT_INPUT_MAX:
            e["max_length"] = _err("NUMBER_TYPE_MAX", f"int value should be <= {_TEXT_INPUT_MAX}.")
        limit = _TEXT_INPUT_MAX if max_length is None else int(max_length)
        if len(str(box.get("value") or "")) > limit:
            e["value"] = _too_long(limit)
        if len(str(box.get("label") or "")) > _LABEL_MAX:
            e["label"] = _too_long(_LABEL_MAX)
        if e:
            errors[str(i)] = e
    if errors:
        raise _HTTPError(400, 50035, "Invalid Form Body", {"data": {"components": errors}})


def _validate_message_body(body: Mapping[str, Any], *, n_files: int, edit: bool = False) -> None:
    """Raise the 400 Discord would send for an empty or over-limit message."""
    errors: JSON = {}
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        errors["content"] = _too_long(2000)
    embeds = body.get("embeds") or []
    if embeds:
        embed_errors = _validate_embeds(embeds)
        if embed_errors:
            errors["embeds"] = embed_errors
    components = body.get("components") or []
    if components:
        comp_errors = _validate_components(components, int(body.get("flags") or 0))
        if comp_errors:
            errors["components"] = comp_errors
    if errors:
        raise _HTTPError(400, 50035, "Invalid Form Body", errors)
    if edit:
        return
    has_content = bool(str(content or "").strip())
    if not (
        has_content
        or embeds
        or components
        or n_files
        or body.get("sticker_ids")
        or body.get("poll")
        or body.get("attachments")
    ):
        raise _HTTPError(400, 50006, "Cannot send an empty message")
