"""The Flink vocabulary: the operator's API group and version, its kinds, and object identity.

The kinds are derived from the health decision tables (``flink_gitops.health.tables``): a kind
with a table is a kind every part of the product knows (Lua, argocd-cm, docs, CLI, cluster).
Two questions are asked of an object, and they differ on purpose: :func:`in_api_group` (is its
apiVersion the operator's group, whatever the kind: render checks and orders even a misspelled
kind) and :func:`is_flink` (is it a kind with a health table: what health assesses).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flink_gitops.errors import Problem

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
    if not isinstance(obj, dict) or not in_api_group(obj, kind):
        return False
    return kind is not None or obj.get("kind") in kind_names()


def group_of(obj: dict) -> str:
    """The API group of ``obj`` (``""`` for the core group or a missing apiVersion)."""
    api = obj.get("apiVersion")
    return api.rpartition("/")[0] if isinstance(api, str) else ""


_GROUP_PREFIX = API_GROUP + "/"


def in_api_group(obj: dict, kind: str | None = None) -> bool:
    """True when ``obj``'s apiVersion is of the operator's group, any kind (and, when ``kind`` is
    given, of that kind)."""
    # Called for every object by several render steps: the kind test first, no string splitting.
    if kind is not None and obj.get("kind") != kind:
        return False
    # As Kubernetes parses apiVersion: exactly "<group>/<version>", the version not empty.
    api = obj.get("apiVersion")
    if not isinstance(api, str) or not api.startswith(_GROUP_PREFIX):
        return False
    version = api[len(_GROUP_PREFIX):]
    return bool(version) and "/" not in version


def describe(obj: object) -> str | None:
    """Short identity of a Kubernetes object for messages: ``Kind ns/name``."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else "?"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta.get("name"), str) else "?"
    ns = meta.get("namespace")
    return f"{kind} {ns}/{name}" if isinstance(ns, str) and ns else f"{kind} {name}"


@dataclass
class Located:
    """A Kubernetes object together with where it came from."""

    obj: dict
    file: str
    document: int  # 1-based
    item: int | None = None  # index inside a List kind, 0-based

    def problem(self, message: str, field_: str | None = None, hint: str | None = None) -> Problem:
        obj = describe(self.obj)
        if self.item is not None:
            obj = f"{obj} (List item {self.item + 1})"
        return Problem(message, file=self.file, document=self.document, obj=obj, field=field_, hint=hint)
