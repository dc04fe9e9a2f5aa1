"""Bytes on the wire: JSON encoding, content negotiation, request bodies and Status responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import yaml
from aiohttp import web

from klepaas.k8s.sandbox.protobuf import PROTOBUF, decode_object
from klepaas.k8s.sandbox.store import Obj, StoreError

JSON = "application/json"
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def encode(obj: Any) -> bytes:
    return orjson.dumps(obj)


def json_response(obj: Any, status: int = 200, content_type: str = JSON,
                  headers: dict[str, str] | None = None) -> web.Response:
    all_headers = {"Content-Type": content_type, "Cache-Control": "no-cache, private"}
    all_headers.update(headers or {})
    return web.Response(body=encode(obj), status=status, headers=all_headers)


def status_response(error: StoreError, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(error.status(), status=error.code, headers=headers)


def success_status(details: Obj) -> Obj:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


@dataclass(frozen=True)
class Representation:
    """What the client asked for in Accept: a plain object, a Table or partial metadata."""

    kind: str = "Object"  # "Object", "Table", "PartialObjectMetadata"


def negotiate(accept: str | None) -> Representation:
    """Pick the first representation in Accept we can serve; 406 if none."""
    if not accept:
        return Representation()
    for media in accept.split(","):
        mime, *raw_params = (part.strip() for part in media.split(";"))
        params = dict(p.split("=", 1) for p in raw_params if "=" in p)
        if mime not in ("application/json", "application/*", "*/*", "application/yaml"):
            continue
        wanted = params.get("as")
        if wanted is None:
            return Representation()
        if params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
            continue
        if wanted == "Table":
            return Representation("Table")
        if wanted in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return Representation("PartialObjectMetadata")
    raise StoreError(406, "NotAcceptable",
                     "only the following media types are accepted: application/json, application/yaml, "
                     "application/vnd.kubernetes.protobuf")


async def read_body(request: web.Request, *, allow_empty: bool = False) -> Any:
    """The request body as JSON (or YAML); 415 for other media types, 400 for bad syntax."""
    raw = await request.read()
    if not raw.strip():
        if allow_empty:
            return None
        raise StoreError(400, "BadRequest", "the body of the request was empty")
    mime = request.headers.get("Content-Type", JSON).split(";")[0].strip().lower()
    if mime == PROTOBUF:
        return decode_object(raw)
    try:
        if mime.endswith("yaml"):
            return yaml.safe_load(raw)
        if mime.endswith("json") or mime in ("", "text/plain"):
            return orjson.loads(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise StoreError(400, "BadRequest", f"error decoding request body: {exc}") from exc
    raise StoreError(415, "UnsupportedMediaType",
                     f'the body of the request was in an unknown format ("{mime}") - accepted media types '
                     f"include: application/json, application/yaml, {PROTOBUF}")


async def read_object(request: web.Request) -> Obj:
    body = await read_body(request)
    if not isinstance(body, dict):
        raise StoreError(400, "BadRequest",
                         "the object provided is unrecognized (must be of type Object): "
                         f"cannot unmarshal {type(body).__name__} into an object")
    return body
