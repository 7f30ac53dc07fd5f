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

An action changes exactly one field. It never creates ``spec`` or ``spec.job``: where the parent of
its field is not a mapping, it returns the object unchanged (Argo CD then sends an empty patch), so
running an action the discovery disabled (``argocd app actions run`` does not check) is harmless.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

SITUATIONS = ("deleting", "no-spec", "no-job", "suspended", "running")


@dataclass(frozen=True)
class Action:
    name: str
    display_name: str
    icon_class: str
    #: Kinds that offer the action.
    kinds: tuple[str, ...]
    #: Path of the one field the action writes, e.g. ("spec", "job", "state").
    path: tuple[str, ...]
    #: "set": write ``value``; "increment": a trigger nonce, previous number + 1, or 1 when absent/not a number.
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
        display_name="Trigger savepoint",
        icon_class="fa fa-fw fa-save",
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
