"""Alertmanager's webhook (payload version 4) to an `AlertView`: one view per notification group."""

from __future__ import annotations

from typing import Any

from klepaas.errors import UserError
from klepaas.handlers.alerts.model import AlertItem, AlertView, GroupStatus, Target

APP_LABELS = ("deployment", "app", "app_kubernetes_io_name", "service")


def _status(value: Any) -> GroupStatus:
    return "resolved" if value == "resolved" else "firing"


def _strings(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def parse_webhook(payload: Any) -> AlertView:
    """Raise UserError for anything that is not a version 4 notification with a groupKey."""
    if not isinstance(payload, dict):
        raise UserError("the body must be a JSON object (Alertmanager webhook)")
    if str(payload.get("version")) != "4":
        raise UserError(f"unsupported webhook version {payload.get('version')!r}; expected \"4\"")
    group_key = payload.get("groupKey")
    alerts = payload.get("alerts")
    if not isinstance(group_key, str) or not group_key or not isinstance(alerts, list):
        raise UserError("groupKey and alerts are required")
    common = _strings(payload.get("commonLabels"))
    group_labels = _strings(payload.get("groupLabels"))
    annotations = _strings(payload.get("commonAnnotations"))
    items = []
    for alert in alerts:
        if not isinstance(alert, dict):
            raise UserError("each alert must be an object")
        labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
        notes = alert.get("annotations") or {}
        name = labels.get("alertname", "alert")
        distinct = {k: v for k, v in labels.items() if k not in common and k != "alertname"}
        if distinct:
            name += " " + ", ".join(f"{k}={v}" for k, v in sorted(distinct.items()))
        summary = str(notes.get("summary") or notes.get("description") or "")
        items.append(AlertItem(name=name, status=_status(alert.get("status")), summary=summary,
                               detail=str(alert.get("startsAt") or "")))
    items.sort(key=lambda item: item.name)
    grouped_by = ", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()))
    title = common.get("alertname") or grouped_by or "alerts"
    if annotations.get("summary") and len(items) == 1:
        title = f"{title}: {annotations['summary']}"
    namespace = common.get("namespace")
    app = next((common[label] for label in APP_LABELS if common.get(label)), None)
    target = Target(common.get("cluster"), namespace, app) if namespace and app else None
    return AlertView(
        key=f"am:{group_key}",
        source="alertmanager",
        status=_status(payload.get("status")),
        title=title,
        severity=common.get("severity", "warning"),
        namespace=namespace,
        items=items,
        target=target,
        link=str(payload.get("externalURL") or "") or None,
    )
