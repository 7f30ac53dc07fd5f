"""The Flink vocabulary: the operator's API group and version, its kinds, and object identity.

The bottom of the house: it imports nothing of the project but ``errors``. The kinds are declared
here (name, plural, short names, as the operator's CRDs declare them); each has a health table in
``flink_gitops.health.tables``, which imports this module, never the reverse (a test keeps the
two lists equal). "Which API group is this?" is answered here only, as apimachinery parses an
apiVersion (:func:`parse_api_version`). Two questions are asked of an object, and they differ on
purpose: :func:`in_api_group` (is its apiVersion the operator's group, whatever the kind: render
checks and orders even a misspelled kind) and :func:`is_flink` (is it one of the Flink kinds:
what health assesses).
"""

from __future__ import annotations

from dataclasses import dataclass

from flink_gitops.errors import Problem

API_GROUP = "flink.apache.org"
#: The version the operator serves and stores (v1beta1 since operator 1.0).
API_VERSION = "v1beta1"
#: What the operator writes on every Flink resource (a JSON pointer): GitOps must never diff or apply it.
STATUS_POINTER = "/status"


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


# Plurals and short names as the operator's CRDs declare them (@ShortNames on each resource class).
FLINK_DEPLOYMENT = KindName("FlinkDeployment", "flinkdeployments", ("flinkdep",))
FLINK_SESSION_JOB = KindName("FlinkSessionJob", "flinksessionjobs", ("sessionjob",))
FLINK_STATE_SNAPSHOT = KindName("FlinkStateSnapshot", "flinkstatesnapshots", ("flinksnp",))
FLINK_BLUE_GREEN_DEPLOYMENT = KindName("FlinkBlueGreenDeployment", "flinkbluegreendeployments", ("flinkbgdep",))

#: The Flink kinds, in the order every list shows them (tables, docs, CLI, cluster).
KINDS: tuple[KindName, ...] = (FLINK_DEPLOYMENT, FLINK_SESSION_JOB, FLINK_STATE_SNAPSHOT, FLINK_BLUE_GREEN_DEPLOYMENT)


def kinds() -> tuple[KindName, ...]:
    """The Flink kinds (read at call time, so a test can add one)."""
    return KINDS


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
    """True for an object of the operator's API group and one of its kinds
    (and, when ``kind`` is given, of that kind)."""
    if not isinstance(obj, dict) or not in_api_group(obj, kind):
        return False
    return kind is not None or obj.get("kind") in kind_names()


def parse_api_version(api_version: object) -> tuple[str, str] | None:
    """(group, version) as apimachinery's ``schema.ParseGroupVersion`` reads an apiVersion: no slash
    is a version of the core group (``""``); one slash splits group and version; more than one, or
    not a string, is no apiVersion at all (None)."""
    if not isinstance(api_version, str):
        return None
    if "/" not in api_version:
        return "", api_version
    group, _, version = api_version.partition("/")
    return None if "/" in version else (group, version)


def group_of(obj_or_api_version: object) -> str:
    """The API group of an object or of an apiVersion string (``""`` for the core group, and for an
    apiVersion that is missing or malformed, which no group's rule may match)."""
    api = obj_or_api_version.get("apiVersion") if isinstance(obj_or_api_version, dict) else obj_or_api_version
    parsed = parse_api_version(api)
    return parsed[0] if parsed else ""


def names_api_group(api_version: object) -> bool:
    """True when ``api_version`` starts with the operator's group, well-formed or not (to say why a
    malformed one matches no health check, instead of skipping it)."""
    return isinstance(api_version, str) and api_version.split("/", 1)[0] == API_GROUP


_GROUP_PREFIX = API_GROUP + "/"


def in_api_group(obj: dict, kind: str | None = None) -> bool:
    """True when ``obj``'s apiVersion is of the operator's group, any kind (and, when ``kind`` is
    given, of that kind)."""
    # Called for every object by several render steps: the kind test first, no string splitting.
    if kind is not None and obj.get("kind") != kind:
        return False
    # parse_api_version's answer, with a version that is not empty, without building tuples.
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
