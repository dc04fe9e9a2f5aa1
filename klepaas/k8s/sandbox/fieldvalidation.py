"""`fieldValidation=Strict|Warn`: unknown fields in a write, found with the strict JSON schemas of the
kubernetes-validate package for the version the sandbox reports.

Strict answers 400 `... strict decoding error: unknown field "spec.replicass"` as a real server does;
Warn lets the write through and returns `Warning` headers; Ignore (or no parameter) checks nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import jsonschema
from kubernetes_validate.utils import SchemaNotFoundError, schema_contents
from referencing import Registry, Resource

from klepaas.k8s.sandbox.discovery import VERSION_INFO
from klepaas.k8s.sandbox.store import Obj, ResourceType, StoreError

SCHEMA_DIR = f"kubernetes-json-schema/v{VERSION_INFO['major']}.{VERSION_INFO['minor']}.0-local-strict"
DIRECTIVES = ("Strict", "Warn", "Ignore")


@lru_cache(maxsize=32)
def _validator(kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        version = VERSION_INFO["gitVersion"]
        schema = schema_contents(f"{SCHEMA_DIR}/{kind.lower()}-{group_version}.json", version)
        definitions = schema_contents(f"{SCHEMA_DIR}/_definitions.json", version)
    except (FileNotFoundError, SchemaNotFoundError):
        return None
    registry: Registry[Any] = Resource.from_contents(definitions) @ (
        Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def unknown_fields(obj: Obj) -> list[str]:
    """Dotted paths of the fields in `obj` that its kind's schema does not know."""
    validator = _validator(str(obj.get("kind", "")), str(obj.get("apiVersion", "")))
    if validator is None:
        return []
    found: list[str] = []
    for error in validator.iter_errors(obj):
        if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
            continue
        known = set((error.schema or {}).get("properties", {}) if isinstance(error.schema, dict) else ())
        base = _path(error.absolute_path)
        found += [f"{base}.{key}" if base else key for key in error.instance if key not in known]
    return found


def check_fields(rt: ResourceType, obj: Obj, directive: str | None) -> list[str]:
    """Apply a fieldValidation directive to a write; returns Warning header values (for Warn)."""
    if directive in (None, "", "Ignore"):
        return []
    if directive not in DIRECTIVES:
        raise StoreError(400, "BadRequest", f'fieldValidation: Unsupported value: "{directive}": supported '
                         'values: "Ignore", "Strict", "Warn"')
    unknown = unknown_fields({**obj, "apiVersion": rt.api_version, "kind": rt.kind})
    if not unknown:
        return []
    messages = [f'unknown field "{path}"' for path in unknown]
    if directive == "Strict":
        raise StoreError(400, "BadRequest", f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                         f"{rt.kind}: strict decoding error: " + ", ".join(messages))
    return messages
