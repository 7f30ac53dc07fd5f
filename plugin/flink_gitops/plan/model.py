"""The vocabulary of ``flink-gitops plan``: what a sync changes, the operator's diff type, what happens to the job, its state.

Each word is the operator's where the operator has one (``DiffType``, ``BlueGreenDiffType``,
``UpgradeMode``); :class:`Decision` is the one shape of an answer, and :meth:`Decision.row` the
JSON object ``plan -o json`` prints for it (exactly the keys the issue names, no more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# change: the first baseline, the live object's spec (what a sync applies)
CREATE, DELETE, UPDATE, UNCHANGED = "create", "delete", "update", "unchanged"
CHANGES = (CREATE, DELETE, UPDATE, UNCHANGED)

# diff: DiffType (flink-kubernetes-operator-api .../api/diff/DiffType.java), in its order: the
# aggregate of several diffs is the greatest (DiffType.from)
IGNORE, SCALE, UPGRADE, SAVEPOINT_REDEPLOY = "ignore", "scale", "upgrade", "savepoint-redeploy"
DIFF_TYPES = (IGNORE, SCALE, UPGRADE, SAVEPOINT_REDEPLOY)

# BlueGreenDiffType (flink-kubernetes-operator .../api/bluegreen/BlueGreenDiffType.java)
TRANSITION, PATCH_CHILD, SUSPEND, RESUME = "transition", "patch-child", "suspend", "resume"
BLUE_GREEN_DIFF_TYPES = (IGNORE, TRANSITION, PATCH_CHILD, SAVEPOINT_REDEPLOY, SUSPEND, RESUME)

# upgrade: what happens to the job
NONE, DEPLOY, SAVEPOINT, LAST_STATE, STATELESS, BLOCKED = "none", "deploy", "savepoint", "last-state", "stateless", "blocked"
UPGRADES = (NONE, DEPLOY, SCALE, SAVEPOINT, LAST_STATE, STATELESS, SAVEPOINT_REDEPLOY, SUSPEND, RESUME, BLOCKED,
            DELETE, TRANSITION, PATCH_CHILD)

# state: does the job's state survive
KEPT, LOST, AT_RISK, NOT_APPLICABLE = "kept", "lost", "at-risk", "n/a"
STATES = (KEPT, LOST, AT_RISK, NOT_APPLICABLE)
#: States that make ``plan`` exit 1.
ALARMING = (LOST, AT_RISK)


def max_diff(types) -> str:
    """``DiffType.from``: the type that minimally subsumes all (IGNORE for none)."""
    best = 0
    for t in types:
        best = max(best, DIFF_TYPES.index(t))
    return DIFF_TYPES[best]


@dataclass(frozen=True)
class FieldDiff:
    """One changed spec path (from the object's root, e.g. ``spec.job.parallelism``) and the diff type the operator gives it."""

    path: str
    diff: str

    def row(self) -> dict:
        return {"path": self.path, "diff": self.diff}


@dataclass
class Decision:
    """What ``plan`` predicts for one Flink resource, and why."""

    kind: str
    namespace: str
    name: str
    change: str
    diff: str | None = None
    fields: list[FieldDiff] = field(default_factory=list)
    upgrade: str = NONE
    state: str = NOT_APPLICABLE
    reasons: list[str] = field(default_factory=list)

    def why(self, text: str) -> "Decision":
        self.reasons.append(text)
        return self

    def row(self) -> dict:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "change": self.change,
                "diff": self.diff, "fields": [f.row() for f in self.fields], "upgrade": self.upgrade,
                "state": self.state, "reasons": list(self.reasons)}

    @property
    def alarming(self) -> bool:
        return self.state in ALARMING
