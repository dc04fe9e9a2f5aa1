"""The three PATCH formats of the Kubernetes API.

- strategic merge patch (`application/strategic-merge-patch+json`): lists with a merge key
  (containers by name, container ports by containerPort, ...) merge element by element;
  `$patch: delete|replace|merge`, `$retainKeys`, `$setElementOrder/<field>` and
  `$deleteFromPrimitiveList/<field>` directives; null deletes a key.
- JSON merge patch, RFC 7386 (`application/merge-patch+json`).
- JSON patch, RFC 6902 (`application/json-patch+json`), including `test`.

Server-side apply (`application/apply-patch+yaml`) is answered with 415.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from klepaas.k8s.sandbox.store import Obj, StoreError

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC)

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "taints": "key",
}
_PRIMITIVE_MERGE_LISTS = ("finalizers",)
_DELETE = object()  # a map patched with `$patch: delete`


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def invalid(message: str) -> StoreError:
    return StoreError(422, "Invalid", message)


def unsupported_patch(content_type: str) -> StoreError:
    return StoreError(
        415, "UnsupportedMediaType",
        f'the body of the request was in an unknown format ("{content_type}") - accepted media types '
        f"include: {', '.join(PATCH_TYPES)} (server-side apply is not implemented by the sandbox)")


def apply_patch(content_type: str, original: Obj, patch: Any) -> Obj:
    """Apply a PATCH body of `content_type` to a copy of `original`."""
    mime = content_type.split(";")[0].strip().lower()
    if mime == JSON_PATCH:
        if not isinstance(patch, list):
            raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        return json_patch(original, patch)
    if mime not in (MERGE, STRATEGIC):
        raise unsupported_patch(mime)
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
    result = merge_patch(original, patch) if mime == MERGE else strategic_merge_patch(original, patch)
    if not isinstance(result, dict):
        raise bad_request("the patch replaced the whole object with a non-object")
    return result


# ---- RFC 7386 ---------------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---- strategic merge patch ------------------------------------------------------------------------


def merge_key(parent: tuple[str, ...], field: str) -> str | None:
    """The patchMergeKey of list `field` inside the map at path `parent`, or None (atomic list)."""
    if field == "ports":
        if parent and parent[-1] in _CONTAINER_LISTS:
            return "containerPort"
        return "port" if parent == ("spec",) else None
    if field in ("conditions", "addresses"):
        return "type" if parent and parent[-1] == "status" else None
    return _MERGE_KEYS.get(field)


def strategic_merge_patch(original: Obj, patch: Obj) -> Obj:
    result = _merge_map(original, patch, ())
    if result is _DELETE:
        raise bad_request("the patch deletes the whole object")
    assert isinstance(result, dict)
    return result


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value
                if not (isinstance(v, dict) and set(v) == {"$patch"})]
    return value


def _merge_map(original: Any, patch: Obj, path: tuple[str, ...]) -> Any:
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        return _strip_directives(copy.deepcopy(patch))
    if directive not in (None, "merge"):
        raise bad_request(f"Unknown patch type: {directive}")
    result: Obj = dict(original) if isinstance(original, dict) else {}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            if not isinstance(value, list):
                raise bad_request("invalid patch: $setElementOrder must be a list")
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if not isinstance(value, list):
                raise bad_request("invalid patch: $deleteFromPrimitiveList must be a list")
            if isinstance(result.get(field), list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, (*path, key))
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, path, key)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, merge_key(path, field))
    retain = patch.get("$retainKeys")
    if retain is not None:
        if not isinstance(retain, list):
            raise bad_request("invalid patch: $retainKeys must be a list")
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(original: Any, patch: list[Any], parent: tuple[str, ...], field: str) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" and len(item) == 1 for item in patch):
        return list(_strip_directives(copy.deepcopy(patch)))
    key = merge_key(parent, field)
    current = list(original) if isinstance(original, list) else []
    if key is None:
        if field in _PRIMITIVE_MERGE_LISTS:
            return current + [item for item in patch if item not in current]
        return list(_strip_directives(copy.deepcopy(patch)))
    path = (*parent, field)
    for item in patch:
        if not isinstance(item, dict):
            raise bad_request(f"invalid patch: {field} must be a list of objects with merge key {key!r}")
        if key not in item:
            raise bad_request(f"map: {_go_map(item)} does not contain declared merge key: {key}")
        index = next((i for i, old in enumerate(current)
                      if isinstance(old, dict) and old.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del current[index]
            continue
        merged = _merge_map(current[index] if index is not None else {}, item, path)
        if merged is _DELETE:
            if index is not None:
                del current[index]
        elif index is None:
            current.append(merged)
        else:
            current[index] = merged
    return current


def _reorder(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    ranked = sorted(enumerate(items), key=lambda pair: (
        wanted.index(ident(pair[1])) if ident(pair[1]) in wanted else len(wanted), pair[0]))
    return [item for _, item in ranked]


def _go_map(item: Obj) -> str:
    return "map[" + " ".join(f"{k}:{v}" for k, v in item.items()) + "]"


# ---- RFC 6902 ---------------------------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise bad_request(f"invalid JSON pointer: {path!r}")
    if path == "":
        return []
    if not path.startswith("/"):
        raise invalid(f'JSON pointer "{path}" must start with "/"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], op: str, path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise invalid(f"{op} operation does not apply: doc is missing path: {path}")
    return node


def _get(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise invalid(f"{op} operation does not apply: doc is missing key: {path}")


def _remove(doc: Any, path: str, op: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise invalid(f"{op} operation does not apply: cannot remove the whole document")
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise invalid(f"{op} operation does not apply: doc is missing key: {path}")


def _add(doc: Any, path: str, value: Any, op: str, *, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, op, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise invalid(f"{op} operation does not apply: doc is missing key: {path}")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise invalid(f"{op} operation does not apply: index out of bounds: {path}")
    else:
        raise invalid(f"{op} operation does not apply: doc is missing path: {path}")
    return doc


def _same(a: Any, b: Any) -> bool:
    return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)


def json_patch(original: Obj, operations: list[Any]) -> Obj:
    doc: Any = copy.deepcopy(original)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise bad_request("invalid JSON patch: every operation needs an \"op\"")
        op, path = operation["op"], operation.get("path")
        source = operation.get("from")
        if not isinstance(path, str) or (op in ("move", "copy") and not isinstance(source, str)):
            raise bad_request(f'invalid JSON patch: "{op}" operation needs a string "path" (and "from")')
        if op in ("add", "replace", "test") and "value" not in operation:
            raise bad_request(f'invalid JSON patch: "{op}" operation needs a "value"')
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(operation["value"]), op)
        elif op == "remove":
            _remove(doc, path, op)
        elif op == "replace":
            doc = _add(doc, path, copy.deepcopy(operation["value"]), op, replace=True)
        elif op == "move":
            value = _remove(doc, str(source), op)
            doc = _add(doc, path, value, op)
        elif op == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, str(source), op)), op)
        elif op == "test":
            if not _same(_get(doc, path, op), operation["value"]):
                raise invalid(f"testing value {path} failed: test failed")
        else:
            raise bad_request(f"Unexpected kind: {op}")
    if not isinstance(doc, dict):
        raise invalid("the patch replaced the whole object with a non-object")
    return doc
