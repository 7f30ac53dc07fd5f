"""What a live object's status says beyond its health: the key status fields, the operator's error decoded,
and the Flink web UI's address when a FlinkDeployment has ``spec.ingress``.

The store keeps these few strings per record (never the whole object), so a detail view can show them.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass

#: Where the operator writes each field a person looks at first, per kind: (label, path under the object).
#: The paths are those of the operator's status classes (``FlinkDeploymentStatus``, ``JobStatus``,
#: ``SavepointInfo``/``CheckpointInfo`` before 1.10, ``FlinkStateSnapshotStatus``, ``FlinkBlueGreenDeploymentStatus``).
_JOB = (
    ("lifecycleState", ("status", "lifecycleState")),
    ("jobState", ("status", "jobStatus", "state")),
    ("jobName", ("status", "jobStatus", "jobName")),
    ("jobId", ("status", "jobStatus", "jobId")),
    ("reconciliationState", ("status", "reconciliationStatus", "state")),
    ("lastSavepoint", ("status", "jobStatus", "savepointInfo", "lastSavepoint", "location")),
    ("lastSavepointTime", ("status", "jobStatus", "savepointInfo", "lastSavepoint", "timeStamp")),
    ("upgradeSavepointPath", ("status", "jobStatus", "upgradeSavepointPath")),  # before 1.10
    # 1.10 on: the snapshot the last upgrade restored from (FlinkStateSnapshotReference)
    ("upgradeSnapshot", ("status", "jobStatus", "upgradeSnapshotReference", "name")),
    ("upgradeSnapshotPath", ("status", "jobStatus", "upgradeSnapshotReference", "path")),
    ("lastCheckpointTime", ("status", "jobStatus", "checkpointInfo", "lastCheckpoint", "timeStamp")),
)
FIELDS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "FlinkDeployment": _JOB[:2] + (
        ("jobManagerDeploymentStatus", ("status", "jobManagerDeploymentStatus")),
        ("flinkVersion", ("status", "clusterInfo", "flink-version")),
    ) + _JOB[2:],
    "FlinkSessionJob": _JOB,
    "FlinkBlueGreenDeployment": (
        ("blueGreenState", ("status", "blueGreenState")),
        ("jobState", ("status", "jobStatus", "state")),
        ("lastReconciledTimestamp", ("status", "lastReconciledTimestamp")),
        ("savepointTriggerId", ("status", "savepointTriggerId")),
        ("abortTimestamp", ("status", "abortTimestamp")),
    ),
    "FlinkStateSnapshot": (
        ("snapshotState", ("status", "state")),
        ("path", ("status", "path")),
        ("failures", ("status", "failures")),
        ("triggerTimestamp", ("status", "triggerTimestamp")),
        ("resultTimestamp", ("status", "resultTimestamp")),
    ),
}
#: A field longer than this is cut: a status is written by the operator, but a record must stay small.
FIELD_LIMIT = 512


def _at(obj: dict, path: tuple[str, ...]):
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def status_fields(kind: str, obj: dict) -> tuple[str | None, ...]:
    """The value of each of ``kind``'s :data:`FIELDS` (None where the object has none), as text. Compact for
    the store: a tuple of the values only, interned (states repeat across a fleet); :func:`field_items`
    pairs them with their labels."""
    out = []
    for _, path in FIELDS.get(kind, ()):
        value = _at(obj, path)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            out.append(None)
        else:
            out.append(sys.intern(str(value)[:FIELD_LIMIT]))
    return tuple(out) if any(v is not None for v in out) else ()


def field_items(kind: str, values: tuple[str | None, ...]) -> list[tuple[str, str]]:
    """(label, value) of each field :func:`status_fields` found."""
    return [(label, value) for (label, _), value in zip(FIELDS.get(kind, ()), values) if value is not None]


@dataclass(frozen=True)
class OperatorError:
    """``status.error`` as the operator writes it (``ErrorUtils``: a JSON ``{"type", "message", ...}``), decoded."""

    type: str  # the exception's short class name, e.g. ValidationException
    class_name: str  # the full class name
    message: str
    raw: str  # status.error exactly as written

    def text(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def as_json(self) -> dict:
        return {"type": self.type, "class": self.class_name, "message": self.message}


def operator_error(obj: dict) -> OperatorError | None:
    """``status.error`` decoded; None when there is none or it is not the operator's JSON (operator 0.1
    wrote plain text, which the health message already shows as it is)."""
    status = obj.get("status")
    raw = status.get("error") if isinstance(status, dict) else None
    if not isinstance(raw, str) or not raw.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str) or not doc["type"].strip():
        return None
    message = doc.get("message")
    class_name = doc["type"].strip()
    return OperatorError(class_name.rsplit(".", 1)[-1], class_name, message if isinstance(message, str) else "",
                         raw)


def decoded_message(message: str, error: OperatorError | None) -> str:
    """The health message with the operator's raw JSON error (which Argo CD's Lua, having no JSON library,
    shows as it is) replaced by ``Type: message``; the message itself when it holds no such error."""
    if error is None or error.raw not in message:
        return message
    return message.replace(error.raw, error.text())


# --- the Flink web UI behind spec.ingress ------------------------------------------------------------------

# The operator (IngressUtils.getIngressUrl) puts http:// before a template without http:// or https://,
# replaces {{name}} and {{namespace}} (any case), and takes the host and path of the URL that makes.
_SCHEME = re.compile(r"^(https?)://", re.IGNORECASE)
_NAME = re.compile(r"\{\{name\}\}", re.IGNORECASE)
_NAMESPACE = re.compile(r"\{\{namespace\}\}", re.IGNORECASE)
# A host name (or IPv4 address) with an optional port: nothing a browser could read as another scheme.
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")
# A path is cut where an ingress controller's regular expression begins (nginx's rewrite examples:
# "/{{namespace}}/{{name}}(/|$)(.*)"): what comes before it is the address people open.
_PATH_END = re.compile(r"[()\[\]*+?$^|\\{}\s]")
_PATH = re.compile(r"^[A-Za-z0-9._~!&'=:@%/;,-]*$")


def web_ui_url(kind: str, obj: dict) -> str:
    """The Flink web UI's address the operator's ingress serves (``spec.ingress.template``), or "" when there
    is none or it is not a plain http(s) address with a host (a template without a host is served on
    whatever address the ingress controller has, which the object does not say)."""
    if kind != "FlinkDeployment":
        return ""
    spec = obj.get("spec")
    ingress = spec.get("ingress") if isinstance(spec, dict) else None
    template = ingress.get("template") if isinstance(ingress, dict) else None
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name, namespace = meta.get("name"), meta.get("namespace")
    if not (isinstance(template, str) and template.strip() and isinstance(name, str) and isinstance(namespace, str)):
        return ""
    text = template.strip()
    found = _SCHEME.match(text)
    scheme = found.group(1).lower() if found else "http"
    text = text[found.end():] if found else text
    text = _NAMESPACE.sub(lambda _: namespace, _NAME.sub(lambda _: name, text))
    host, slash, path = text.partition("/")
    if not _HOST.match(host):
        return ""
    path = "/" + _PATH_END.split(path, 1)[0] if slash else "/"
    if not _PATH.match(path):
        return ""
    if not path.endswith("/"):
        path += "/"  # the web UI's assets are relative: /ns/name without the slash loads them from /ns/
    return f"{scheme}://{host}{path}"


__all__ = ["FIELDS", "status_fields", "field_items", "OperatorError", "operator_error", "decoded_message", "web_ui_url"]
