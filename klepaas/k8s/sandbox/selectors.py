"""Label and field selectors as the API server parses and applies them.

Parse errors are `StoreError(400, "BadRequest")`, which the server renders as a `Status`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from klepaas.k8s.sandbox.store import Obj, ResourceType, StoreError

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_NAME}$")
_LABEL_VALUE = re.compile(rf"^({_NAME})?$")
_SPECIAL = set("!=,()<> \t\n")


def bad_request(message: str) -> StoreError:
    return StoreError(400, "BadRequest", message)


def valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    return bool(_LABEL_KEY.match(key)) and len(name) <= 63 and len(prefix) <= 253


def valid_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))


# ---- label selectors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if not present or value is None:
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if self.op == "gt" else number < bound

    def __str__(self) -> str:
        if self.op == "exists":
            return self.key
        if self.op == "!":
            return f"!{self.key}"
        if self.op in ("in", "notin"):
            return f"{self.key} {self.op} ({','.join(self.values)})"
        symbol = {"gt": ">", "lt": "<"}.get(self.op, self.op)
        return f"{self.key}{symbol}{self.values[0]}"


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def matches_object(self, obj: Obj) -> bool:
        return self.matches(obj.get("metadata", {}).get("labels"))

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\n":
            i += 1
        elif text.startswith(("==", "!="), i):
            tokens.append(text[i:i + 2])
            i += 2
        elif ch in "!=,()<>":
            tokens.append(ch)
            i += 1
        else:
            start = i
            while i < len(text) and text[i] not in _SPECIAL:
                i += 1
            tokens.append(text[start:i])
    return tokens


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def fail(self, detail: str) -> StoreError:
        return bad_request(f"unable to parse requirement: {detail}")

    def identifier(self, what: str) -> str:
        tok = self.take()
        if tok is None or tok in _SPECIAL or tok in ("==", "!="):
            raise self.fail(f"found '{tok or ''}', expected: {what}")
        return tok

    def key(self) -> str:
        key = self.identifier("identifier")
        if not valid_label_key(key):
            raise self.fail(f'invalid label key "{key}": name part must consist of alphanumeric '
                            "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                            "character")
        return key

    def value(self) -> str:
        tok = self.peek()
        if tok is None or tok in (",", ")"):
            return ""
        value = self.identifier("identifier")
        if not valid_label_value(value):
            raise self.fail(f'invalid label value: "{value}": at key: must be 63 characters or less and '
                            "consist of alphanumeric characters, '-', '_' or '.', starting and ending with "
                            "an alphanumeric character")
        return value

    def values(self) -> tuple[str, ...]:
        if self.take() != "(":
            raise self.fail("found '', expected: '('")
        found: list[str] = []
        while True:
            found.append(self.value())
            tok = self.take()
            if tok == ")":
                return tuple(found)
            if tok != ",":
                raise self.fail(f"found '{tok or ''}', expected: ',' or ')'")

    def requirement(self) -> Requirement:
        if self.peek() == "!":
            self.take()
            return Requirement(self.key(), "!")
        key = self.key()
        op = self.peek()
        if op is None or op == ",":
            return Requirement(key, "exists")
        self.take()
        if op in ("=", "=="):
            return Requirement(key, "=", (self.value(),))
        if op == "!=":
            return Requirement(key, "!=", (self.value(),))
        if op in ("in", "notin"):
            values = self.values()
            if values == ("",):
                raise self.fail("for 'in', 'notin' operators, values set can't be empty")
            return Requirement(key, op, values)
        if op in ("<", ">"):
            bound = self.identifier("integer")
            if not re.fullmatch(r"-?\d+", bound):
                raise self.fail(f"for 'Gt', 'Lt' operators, the value must be an integer: {bound}")
            return Requirement(key, "gt" if op == ">" else "lt", (bound,))
        raise self.fail(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")

    def parse(self) -> LabelSelector:
        reqs: list[Requirement] = []
        if not self.tokens:
            return LabelSelector()
        while True:
            reqs.append(self.requirement())
            tok = self.take()
            if tok is None:
                break
            if tok != ",":
                raise self.fail(f"found '{tok}', expected: ',' or 'end of string'")
        return LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),!h`; raises a 400 StoreError on bad syntax."""
    return _LabelParser(text or "").parse()


def selector_from_spec(spec: Obj | None) -> LabelSelector:
    """A `metav1.LabelSelector` (matchLabels + matchExpressions) as a LabelSelector."""
    spec = spec or {}
    reqs = [Requirement(k, "=", (str(v),)) for k, v in (spec.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise bad_request(f'"{expr.get("operator")}" is not a valid label selector operator')
        reqs.append(Requirement(expr.get("key", ""), op, tuple(sorted(expr.get("values") or ()))))
    return LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))


# ---- field selectors ------------------------------------------------------------------------------

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    "Event": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    "Namespace": ("status.phase",),
    "Node": ("spec.unschedulable",),
    "ReplicaSet": ("status.replicas",),
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str

    def matches(self, obj: Obj) -> bool:
        return (field_value(obj, self.field) == self.value) == self.equal


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, obj: Obj) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def name(self) -> str | None:
        """The object name this selector pins (`metadata.name=x`), if any."""
        for r in self.requirements:
            if r.field == "metadata.name" and r.equal:
                return r.value
        return None


def field_value(obj: Obj, path: str) -> str:
    if path == "source":
        return str((obj.get("source") or {}).get("component", ""))
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return "false" if path in ("spec.unschedulable", "spec.hostNetwork") else ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_field_selector(text: str | None, rt: ResourceType) -> FieldSelector:
    """Parse `metadata.name=x,status.phase!=Running`; unknown fields are a 400 as on a real server."""
    if not text:
        return FieldSelector()
    supported = _COMMON_FIELDS + _FIELDS.get(rt.kind, ())
    reqs: list[FieldRequirement] = []
    for term in _split_unescaped(text, ","):
        match = re.fullmatch(r"\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*", term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, op, value = match.groups()
        if field not in supported:
            raise bad_request(f'field label not supported: {field}')
        reqs.append(FieldRequirement(field, op != "!=", value))
    return FieldSelector(tuple(reqs))
