"""The one definition of the Argo CD resource actions for Flink custom resources.

Everything else is derived from the tables below: the Lua that Argo CD runs
(:mod:`flink_gitops.argocd.actions.luagen`), the ``argocd-cm`` entries (:mod:`flink_gitops.argocd.bundle`)
and the expected results the tests compare the Lua with (:func:`expected_discovery`,
:func:`expected_after`, plain Python written separately from the Lua generator).

What an action may do to an object depends on its *situation*, read from the object as it is:

``deleting``   ``metadata.deletionTimestamp`` is set: the operator is tearing it down, nothing helps.
``no-spec``    ``spec`` is missing or not a mapping: nothing to act on.
``no-job``     ``spec.job`` is missing or not a mapping: a session cluster (FlinkDeployment without a job).
``suspended``  ``spec.job.state`` is ``suspended``.
``running``    any other ``spec.job.state``; the operator's default (no state) is ``running``.

A field action changes exactly one field. It never creates ``spec`` or ``spec.job``: where the parent of
its field is not a mapping, it returns the object unchanged (Argo CD then sends an empty patch), so
running an action the discovery disabled (``argocd app actions run`` does not check) is harmless.

The ``savepoint`` action writes no field: it returns Argo CD's list of operations (util/lua
``ImpactedResource``, Argo CD 2.8+) with one ``create`` of a FlinkStateSnapshot savepoint for the
resource (operator 1.10+), owned by it through an ownerReference so Argo CD shows it in the resource's
tree and never prunes it (it carries no tracking label). In any situation but ``running`` the list is
empty and Argo CD does nothing. ``savepoint-nonce`` is the field action it replaces, for operators
before 1.10 and Argo CD before 2.8.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from flink_gitops.flink import API_GROUP, API_VERSION

SITUATIONS = ("deleting", "no-spec", "no-job", "suspended", "running")
CREATE_SAVEPOINT = "create-savepoint"
SNAPSHOT_KIND = "FlinkStateSnapshot"
#: The part of a created snapshot's name after ``<resource>-savepoint-``: the UTC time of the run, to the second.
SNAPSHOT_TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class Action:
    name: str
    display_name: str
    icon_class: str
    #: Kinds that offer the action.
    kinds: tuple[str, ...]
    #: Path of the one field the action writes, e.g. ("spec", "job", "state").
    path: tuple[str, ...]
    #: "set": write ``value``; "increment": a trigger nonce, previous number + 1, or 1 when absent/not a number;
    #: "create-savepoint": no field, a FlinkStateSnapshot is created (``path`` is empty).
    change: str
    #: Situations in which discovery enables the action.
    enabled_in: frozenset[str]
    value: Any = None

    def __post_init__(self):
        unknown = self.enabled_in - set(SITUATIONS)
        if unknown:  # a typo here would silently disable the action everywhere
            raise ValueError(f"action {self.name}: unknown situations {sorted(unknown)}")


ACTIONS: tuple[Action, ...] = (
    Action(
        name="suspend",
        display_name="Suspend job",
        icon_class="fa fa-fw fa-pause-circle",
        kinds=("FlinkDeployment", "FlinkSessionJob"),
        path=("spec", "job", "state"),
        change="set",
        value="suspended",
        enabled_in=frozenset({"running"}),
    ),
    Action(
        name="resume",
        display_name="Resume job",
        icon_class="fa fa-fw fa-play-circle",
        kinds=("FlinkDeployment", "FlinkSessionJob"),
        path=("spec", "job", "state"),
        change="set",
        value="running",
        enabled_in=frozenset({"suspended"}),
    ),
    Action(
        name="savepoint",
        display_name="Take savepoint (FlinkStateSnapshot)",
        icon_class="fa fa-fw fa-save",
        kinds=("FlinkDeployment", "FlinkSessionJob"),
        path=(),
        change=CREATE_SAVEPOINT,
        enabled_in=frozenset({"running"}),
    ),
    Action(
        name="savepoint-nonce",
        display_name="Trigger savepoint (nonce, operator < 1.10)",
        icon_class="fa fa-fw fa-history",
        kinds=("FlinkDeployment", "FlinkSessionJob"),
        path=("spec", "job", "savepointTriggerNonce"),
        change="increment",
        enabled_in=frozenset({"running"}),
    ),
    Action(
        name="restart",
        display_name="Restart",
        icon_class="fa fa-fw fa-redo",
        kinds=("FlinkDeployment",),
        path=("spec", "restartNonce"),
        change="increment",
        enabled_in=frozenset({"running", "no-job"}),
    ),
)

#: Kinds that get actions, in a stable order.
KINDS: tuple[str, ...] = ("FlinkDeployment", "FlinkSessionJob")


def actions_for(kind: str) -> tuple[Action, ...]:
    return tuple(a for a in ACTIONS if kind in a.kinds)


# -- The reference semantics, in Python ----------------------------------------------------
# Written for the JSON-like objects Argo CD hands to Lua; the Lua is generated separately
# (luagen.py) and the tests check that both agree on every test object.


def is_mapping(value: Any) -> bool:
    """What the scripts can treat as a JSON object. Lua cannot tell ``[]`` from ``{}``, so an
    empty list counts; a non-empty list does not."""
    return isinstance(value, dict) or (isinstance(value, list) and not value)


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def situation_of(obj: Any) -> str:
    metadata = _get(obj, "metadata")
    if is_mapping(metadata) and _get(metadata, "deletionTimestamp") is not None:
        return "deleting"
    spec = _get(obj, "spec")
    if not is_mapping(spec):
        return "no-spec"
    job = _get(spec, "job")
    if not is_mapping(job):
        return "no-job"
    return "suspended" if _get(job, "state") == "suspended" else "running"


def expected_discovery(kind: str, obj: Any) -> list[dict]:
    """What Argo CD lists for the object: every action of the kind, enabled or not, by name."""
    situation = situation_of(obj)
    return [
        {
            "name": a.name,
            "disabled": situation not in a.enabled_in,
            "displayName": a.display_name,
            "iconClass": a.icon_class,
        }
        for a in sorted(actions_for(kind), key=lambda a: a.name)
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def expected_after(action: Action, obj: dict) -> dict:
    """The object as the action leaves it (a new object; the input is not touched)."""
    out = copy.deepcopy(obj)
    node: Any = out
    for key in action.path[:-1]:
        node = _get(node, key)
        if not is_mapping(node):
            return out  # the field's parent is not there: nothing to change
    parent = out
    for key in action.path[:-1]:
        if parent[key] == []:  # an empty table that gains a key is an object
            parent[key] = {}
        parent = parent[key]
    field = action.path[-1]
    if action.change == "set":
        parent[field] = action.value
    elif action.change == "increment":
        previous = parent.get(field)
        parent[field] = previous + 1 if _is_number(previous) else 1
    else:  # pragma: no cover - guarded by the definition test
        raise ValueError(f"unknown change {action.change!r}")
    return out


def snapshot_name(name: str, now: float) -> str:
    """The name of the snapshot the ``savepoint`` action creates at epoch second ``now``."""
    return f"{name}-savepoint-{time.strftime(SNAPSHOT_TIME_FORMAT, time.gmtime(int(now)))}"


def expected_operations(action: Action, obj: Any, now: float) -> list[dict]:
    """What Argo CD receives from the action: ``[{"operation": "create"|"patch", "resource": {...}}]``.

    A field action is Argo CD's old-style output, one ``patch`` of the object as :func:`expected_after`
    leaves it. ``create-savepoint`` creates the snapshot when the job is running and the live object has
    what an owner reference needs (apiVersion, kind, name, uid), nothing otherwise.
    """
    if action.change != CREATE_SAVEPOINT:
        return [{"operation": "patch", "resource": expected_after(action, obj)}]
    metadata = _get(obj, "metadata")
    if situation_of(obj) != "running" or not is_mapping(metadata):
        return []
    name, uid, api_version, kind = (_get(metadata, "name"), _get(metadata, "uid"), _get(obj, "apiVersion"),
                                    _get(obj, "kind"))
    if not all(isinstance(v, str) for v in (name, uid, api_version, kind)):
        return []
    snapshot_meta: dict[str, Any] = {"name": snapshot_name(name, now)}
    if isinstance(_get(metadata, "namespace"), str):
        snapshot_meta["namespace"] = metadata["namespace"]
    snapshot_meta["ownerReferences"] = [{"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}]
    snapshot = {
        "apiVersion": f"{API_GROUP}/{API_VERSION}",
        "kind": SNAPSHOT_KIND,
        "metadata": snapshot_meta,
        # disposeOnDelete false: deleting the snapshot (or its owner, by garbage collection) keeps the data.
        "spec": {"jobReference": {"kind": kind, "name": name}, "savepoint": {"disposeOnDelete": False}},
    }
    return [{"operation": "create", "resource": snapshot}]
