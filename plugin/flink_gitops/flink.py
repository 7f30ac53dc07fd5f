"""The Flink vocabulary: the operator's API group and version, its kinds and their names.

The kinds are derived from the health decision tables (``flink_gitops.health.tables``): a kind
with a table is a kind every part of the product knows (Lua, argocd-cm, docs, CLI, cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

API_GROUP = "flink.apache.org"
#: The version the operator serves and stores (v1beta1 since operator 1.0).
API_VERSION = "v1beta1"


@dataclass(frozen=True)
class KindName:
    """How a kind is named: ``FlinkDeployment``, ``flinkdeployments``, ``flinkdeployment``, ``flinkdep``."""

    kind: str
    plural: str
    short_names: tuple[str, ...]

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every lower-case name kubectl accepts for this kind."""
        return (self.singular, self.plural) + self.short_names


@lru_cache(maxsize=1)
def kinds() -> tuple[KindName, ...]:
    """The Flink kinds, in the order of the health tables."""
    from flink_gitops.health.tables import TABLES  # lazy: the tables import API_GROUP from here

    return tuple(KindName(t.kind, t.resource, t.short_names) for t in TABLES.values())


def kind_names() -> tuple[str, ...]:
    return tuple(k.kind for k in kinds())


def resolve_kind(text: str) -> KindName | None:
    """The kind named by ``text`` as kubectl reads it (kind, plural, singular or short name, any
    case, optionally ``.flink.apache.org``); None when it names no Flink kind."""
    name = text.strip().lower()
    suffix = "." + API_GROUP
    if name.endswith(suffix):
        name = name[: -len(suffix)]
    for k in kinds():
        if name in k.aliases:
            return k
    return None


def is_flink(obj: object, kind: str | None = None) -> bool:
    """True for an object of the operator's API group whose kind has a health table
    (and, when ``kind`` is given, of that kind)."""
    if not isinstance(obj, dict):
        return False
    api, obj_kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api, str) or api.split("/", 1)[0] != API_GROUP or not isinstance(obj_kind, str):
        return False
    if kind is not None:
        return obj_kind == kind
    return obj_kind in kind_names()
