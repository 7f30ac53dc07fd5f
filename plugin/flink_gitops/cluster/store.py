"""The health cache: every watched Flink object's health, evaluated once per change.

Reflectors (one per kind) write into a :class:`HealthStore`; the CLI, the service's API, its
metrics and its dashboard only read it. Each object gets its :class:`~flink_gitops.assess.Verdict`
from the assessment layer (by default Argo CD's engine with the rule named, exactly as
``flink-gitops health --why`` decides), so every reader shows what Argo CD shows.
"""

from __future__ import annotations

import logging
import threading
import time
import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple

from flink_gitops.assess import Verdict, evaluator as argocd_evaluator, identity
from flink_gitops.cluster.details import (OperatorError, decoded_message, field_items, operator_error,
                                          status_fields, web_ui_url)
from flink_gitops.cluster.events import EVALUATION
from flink_gitops.flink import kind_names
from flink_gitops.health.status import UNKNOWN

log = logging.getLogger(__name__)

#: What a reflector reports about its kind (``/readyz`` shows it).
PENDING, SYNCED, ABSENT, FAILING = "pending", "synced", "absent", "failing"

#: Health transitions kept per resource (the first sighting is the first). The issue asks for the last 20;
#: 20 short entries cost about 2 KiB, so 10,000 resources that all flapped 20 times hold about 20 MiB.
HISTORY = 20
#: A message longer than this is cut in the history (the record keeps it whole): an operator error can
#: carry a whole stack trace, and 20 of them per resource would make the cache grow with the fleet's bad days.
HISTORY_MESSAGE_LIMIT = 1000


class Entry(NamedTuple):
    """One health transition of a resource: the status it turned to, and when."""

    status: str
    message: str  # what Argo CD showed (cut to HISTORY_MESSAGE_LIMIT)
    decoded: str  # the message with the operator's error decoded; "" when that is the message itself
    rule: str
    since: float

    def as_json(self) -> dict:
        out = {"status": self.status, "message": self.message, "rule": self.rule, "since": self.since}
        if self.decoded:
            out["decodedMessage"] = self.decoded
        return out


def cut(text: str, limit: int = HISTORY_MESSAGE_LIMIT) -> str:
    """``text``, or its first ``limit`` characters and " …" (a stack trace can be 200 KB)."""
    return text if len(text) <= limit else text[:limit] + " …"


@dataclass(frozen=True)
class Record(Verdict):
    """One live object's verdict, with what the readers need of the object and of time."""

    since: float = 0.0  # epoch seconds: when this status began (or when the object was first seen)
    generation: int | None = None
    observed_generation: int | None = None
    uid: str = ""
    resource_version: str = ""
    #: A FlinkStateSnapshot's ``spec.jobReference`` (kind, name), in its own namespace; None for other kinds.
    job_reference: tuple[str, str] | None = None
    #: ``status.error`` decoded (type, class, message) when it is the operator's JSON; None otherwise.
    error: OperatorError | None = None
    #: The key status fields' values (:func:`flink_gitops.cluster.details.status_fields`; see :attr:`field_items`).
    fields: tuple[str | None, ...] = ()
    #: The Flink web UI's address from ``spec.ingress``; "" when there is none.
    web_ui: str = ""

    @property
    def field_items(self) -> list[tuple[str, str]]:
        """(label, value) of each key status field the object has."""
        return field_items(self.kind, self.fields)

    @property
    def decoded_message(self) -> str:
        """The message with the operator's raw JSON error shown as ``Type: message``."""
        return decoded_message(self.message, self.error)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "rule": self.rule,
            "since": self.since,
            "generation": self.generation,
            "observedGeneration": self.observed_generation,
            **({"jobReference": {"kind": self.job_reference[0], "name": self.job_reference[1]}}
               if self.job_reference else {}),
            **({"error": self.error.as_json(), "decodedMessage": self.decoded_message} if self.error else {}),
        }

    def entry(self, earlier: tuple[Entry, ...] = ()) -> Entry:
        """This record as a history entry; a message equal to one of ``earlier`` entries' is that same string
        (a flapping resource repeats its few messages: 20 entries then hold two strings, not twenty)."""
        decoded = self.decoded_message if self.error else ""
        message, decoded = cut(self.message), cut(decoded) if decoded != self.message else ""
        for old in earlier:
            if old.message == message:
                message, decoded = old.message, old.decoded if old.decoded == decoded else decoded
                break
        return Entry(self.status, message, decoded, self.rule, self.since)


class Transition(NamedTuple):
    """A resource's health changed: ``previous`` is its former status, None for one first seen after its
    kind was listed (a new object, not the initial list)."""

    record: Record
    previous: str | None


@dataclass
class KindState:
    """A reflector's standing for one kind."""

    state: str = PENDING
    reason: str = ""  # why it is failing or absent, e.g. "401 Unauthorized: ..."
    code: int | None = None  # the API server's status code, when it gave one
    since: float = 0.0
    last_event: float | None = None  # epoch seconds of the last list or watch event
    # a list has succeeded once: the cache holds this kind, if perhaps no longer current
    listed: bool = False
    skipped: int = 0  # items of the last list that could not be read (no name, another kind, not an object)

    @property
    def refused(self) -> bool:
        """Failing because the API server refuses our credentials (401) or our rights (403)."""
        return self.state == FAILING and self.code in (401, 403)

    def as_json(self) -> dict:
        out = {"state": self.state}
        if self.reason:
            out["reason"] = self.reason
        if self.code is not None:
            out["code"] = self.code
        if self.skipped:
            out["skipped"] = self.skipped
        return out


#: ``obj -> Verdict``; :func:`flink_gitops.assess.evaluator` unless a test gives another.
Evaluator = Callable[[dict], Verdict]
#: Called with each :class:`Transition`, after the store's lock is released (see :meth:`HealthStore.add_listener`).
Listener = Callable[[Transition], None]


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _job_reference(kind: str, obj: dict) -> tuple[str, str] | None:
    """The deployment a snapshot belongs to: ``spec.jobReference`` (the operator looks it up in the snapshot's
    own namespace, ``FlinkStateSnapshotUtils.getSnapshotJobReferenceResourceId``)."""
    if kind != "FlinkStateSnapshot":
        return None
    spec = obj.get("spec")
    ref = spec.get("jobReference") if isinstance(spec, dict) else None
    if not isinstance(ref, dict) or not _text(ref.get("kind")) or not _text(ref.get("name")):
        return None
    return ref["kind"], ref["name"]


_RANK = {FAILING: 0, PENDING: 1, SYNCED: 2, ABSENT: 3}


def _worst(scopes: dict[str, KindState]) -> KindState:
    ns, st = min(scopes.items(), key=lambda item: (_RANK.get(item[1].state, 0), item[0]))
    events = [s.last_event for s in scopes.values() if s.last_event is not None]
    reason = f"namespace {ns}: {st.reason}" if ns and st.reason else st.reason
    return KindState(st.state, reason, st.code, st.since, max(events) if events else None, st.listed,
                     sum(s.skipped for s in scopes.values()))


class HealthStore:
    """Thread-safe map of (namespace, kind, name) -> :class:`Record`, with per-kind standing.

    Writers call :meth:`replace` after a list, :meth:`upsert`/:meth:`delete` per watch event,
    and :meth:`set_kind_state`. Readers get immutable records; :meth:`wait_for_change` lets a
    reader block until the next write (``wait``, server-sent events).

    ``namespaces``: when only some namespaces are watched, each (kind, namespace) has its own
    reflector and standing; a kind is synced when all of its namespaces are. Empty: all namespaces,
    one standing per kind (scope ``""``).
    """

    def __init__(self, kinds: Iterable[str] | None = None, evaluator: Evaluator | None = None,
                 clock: Callable[[], float] = time.time, namespaces: Iterable[str] = ()):
        self._kinds = tuple(kinds) if kinds is not None else kind_names()
        self._evaluate = evaluator
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._records: dict[tuple[str, str, str], Record] = {}
        self._transitions: dict[tuple[str, str, str], int] = {}
        self._history: dict[tuple[str, str, str], tuple[Entry, ...]] = {}  # newest first
        self._listeners: list[Listener] = []
        self._restarts: dict[tuple[str, str], int] = {}
        self._decode_errors: dict[tuple[str, str], int] = {}
        self._version = 0
        self._sorted: tuple[int, list[Record]] | None = None
        self._states: dict[str, dict[str, KindState]] = {}
        self.watch_namespaces(namespaces)

    # --- writers ------------------------------------------------------------------------

    @property
    def kinds(self) -> tuple[str, ...]:
        return self._kinds

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The watched namespaces; empty for all."""
        scopes = next(iter(self._states.values()), {"": None})
        return tuple(s for s in scopes if s)

    def watch_namespaces(self, namespaces: Iterable[str]) -> None:
        """Declare the watched namespaces (empty: all); every standing starts again as pending."""
        scopes = tuple(dict.fromkeys(namespaces)) or ("",)
        now = self._clock()
        with self._lock:
            self._states = {k: {s: KindState(since=now) for s in scopes} for k in self._kinds}
            self._version += 1
            self._changed.notify_all()

    def _evaluator(self) -> Evaluator:
        if self._evaluate is None:
            self._evaluate = argocd_evaluator()
        return self._evaluate

    def _build(self, kind: str, obj: dict) -> Record:
        """Evaluate one object (outside the lock: the Lua is the slow part); ``since`` is set on commit.

        An object the evaluator cannot assess is kept as Unknown, saying why: one odd object must
        neither go missing nor stop its kind from being listed."""
        meta = _meta(obj)
        namespace, name = identity(obj)
        try:
            verdict = self._evaluator()(obj)
        except Exception as exc:  # noqa: BLE001 - any evaluator failure is this object's, not the kind's
            message = f"flink-gitops cannot assess this object: {type(exc).__name__}: {exc}"
            verdict = Verdict(kind, namespace, name, UNKNOWN, message)
            self.note_decode_error(kind, EVALUATION)
            log.warning("%s %s/%s: %s", kind, namespace, name, message)
        st = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        return Record(
            kind=kind,
            namespace=namespace,
            name=name,
            status=verdict.status,
            message=verdict.message,
            rule=verdict.rule,
            engine=verdict.engine,
            since=0.0,
            generation=_int_or_none(meta.get("generation")),
            observed_generation=_int_or_none(st.get("observedGeneration")),
            uid=_text(meta.get("uid")),
            resource_version=_text(meta.get("resourceVersion")),
            job_reference=_job_reference(kind, obj),
            error=operator_error(obj),
            fields=status_fields(kind, obj),
            web_ui=web_ui_url(kind, obj),
        )

    def _key(self, kind: str, obj: dict) -> tuple[str, str, str]:
        meta = _meta(obj)
        return (_text(meta.get("namespace")), kind, _text(meta.get("name")))

    def _assess(self, kind: str, objects: Iterable[dict]) -> tuple[set, list[Record]]:
        """The keys of ``objects`` and a fresh record for each one that changed since it was stored.

        Runs without the lock; each (kind, namespace) has one writer, so the unlocked read of the
        old record can at worst cost one needless evaluation.
        """
        keys, fresh = set(), []
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            key = self._key(kind, obj)
            keys.add(key)
            old = self._records.get(key)
            rv = _text(_meta(obj).get("resourceVersion"))
            if old is not None and rv and old.resource_version == rv:
                continue  # a relist returns objects we already hold: not a change
            fresh.append(self._build(kind, obj))
        return keys, fresh

    def _commit(self, rec: Record, now: float, changes: list[Transition], announce_new: bool) -> None:
        """Store one evaluated record, keeping ``since`` while the status holds; a new status is a
        history entry and a :class:`Transition` in ``changes`` (a first sighting only when
        ``announce_new``). Caller holds the lock."""
        old = self._records.get(rec.key)
        if old is not None and old.uid and rec.uid and old.uid != rec.uid:
            old = None  # deleted and created again while we were not watching: another object
            self._history.pop(rec.key, None)
        if old is not None and old.status == rec.status:
            rec = dataclasses.replace(rec, since=old.since)
        else:
            rec = dataclasses.replace(rec, since=now)
            if old is not None:
                t = (rec.kind, old.status, rec.status)
                self._transitions[t] = self._transitions.get(t, 0) + 1
            earlier = self._history.get(rec.key, ())
            self._history[rec.key] = (rec.entry(earlier),) + earlier[:HISTORY - 1]
            if old is not None or announce_new:
                changes.append(Transition(rec, old.status if old is not None else None))
        self._records[rec.key] = rec

    def _forget(self, key: tuple[str, str, str]) -> None:
        """Drop an object and its history; caller holds the lock."""
        self._records.pop(key, None)
        self._history.pop(key, None)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with every :class:`Transition` from now on, in the writer's thread, after the
        lock is released (a slow listener delays that kind's watch, never the readers). Its exceptions
        are logged and dropped."""
        with self._lock:
            if listener not in self._listeners:  # one store served by several apps (tests) logs once
                self._listeners.append(listener)

    def _announce(self, changes: list[Transition]) -> None:
        for change in changes:
            for listener in self._listeners:
                try:
                    listener(change)
                except Exception:  # noqa: BLE001 - a listener must never stop the watch
                    log.exception("health transition listener failed")

    def _bump(self, kind: str, now: float) -> None:
        self._version += 1
        for st in self._states[kind].values():
            st.last_event = now
        self._changed.notify_all()

    def _scope(self, kind: str, namespace: str) -> KindState:
        scopes = self._states[kind]
        if namespace not in scopes:
            raise KeyError(f"{kind}: namespace {namespace!r} is not watched (HealthStore.watch_namespaces)")
        return scopes[namespace]

    def replace(self, kind: str, objects: Iterable[dict], namespace: str = "", skipped: int = 0) -> None:
        """The full list of ``kind`` (in ``namespace``; "" for all) after a list or relist:
        objects not in it are gone. ``skipped``: items of the list that could not be read."""
        seen, fresh = self._assess(kind, objects)
        now = self._clock()
        changes: list[Transition] = []
        with self._lock:
            st = self._scope(kind, namespace)
            for rec in fresh:  # the first list's objects are not news; a relist's new ones are
                self._commit(rec, now, changes, announce_new=st.listed)
            for key in [k for k in self._records if k[1] == kind and k not in seen
                        and (not namespace or k[0] == namespace)]:
                self._forget(key)
            if st.state != SYNCED:
                st.state, st.reason, st.code, st.since = SYNCED, "", None, now
            st.listed, st.skipped = True, skipped
            self._bump(kind, now)
        self._announce(changes)

    def upsert(self, kind: str, obj: dict) -> None:
        """An ADDED or MODIFIED watch event."""
        _, fresh = self._assess(kind, [obj])
        now = self._clock()
        changes: list[Transition] = []
        with self._lock:
            for rec in fresh:
                self._commit(rec, now, changes, announce_new=True)
            self._bump(kind, now)
        self._announce(changes)

    def delete(self, kind: str, obj: dict) -> None:
        """A DELETED watch event."""
        now = self._clock()
        with self._lock:
            self._forget(self._key(kind, obj))
            self._bump(kind, now)

    def set_kind_state(self, kind: str, state: str, reason: str = "", code: int | None = None,
                       namespace: str = "") -> None:
        """Record a reflector's standing. ABSENT drops the kind's objects (its CRD is gone)."""
        now = self._clock()
        with self._lock:
            st = self._scope(kind, namespace)
            if (st.state, st.reason, st.code) != (state, reason, code):
                st.state, st.reason, st.code, st.since = state, reason, code, now
            if state == ABSENT:
                for key in [k for k in self._records if k[1] == kind and (not namespace or k[0] == namespace)]:
                    self._forget(key)
            self._version += 1
            self._changed.notify_all()

    def note_watch_restart(self, kind: str, reason: str) -> None:
        with self._lock:
            self._restarts[(kind, reason)] = self._restarts.get((kind, reason), 0) + 1

    def note_decode_error(self, kind: str, reason: str, count: int = 1) -> None:
        """Something from the API server that could not be read: a watch line (``reason`` ``watch``), a list
        item (``list``), or an object the evaluator failed on (``evaluation``); see :mod:`.events`."""
        with self._lock:
            self._decode_errors[(kind, reason)] = self._decode_errors.get((kind, reason), 0) + count

    # --- readers ------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._version

    def wait_for_change(self, after: int, timeout: float | None) -> int:
        """Block until the store's version passes ``after`` (or ``timeout`` seconds); the version."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != after, timeout=timeout)
            return self._version

    def all_records(self) -> list[Record]:
        """Every record, sorted by namespace, kind, name (cached until the next change)."""
        with self._lock:
            if self._sorted is None or self._sorted[0] != self._version:
                self._sorted = (self._version, sorted(self._records.values(), key=lambda r: r.key))
            return self._sorted[1]

    def records(self, namespaces: Iterable[str] = (), kinds: Iterable[str] = (),
                statuses: Iterable[str] = ()) -> list[Record]:
        """Records matching every non-empty filter (each filter: any of its values)."""
        ns, ks, ss = set(namespaces), set(kinds), set(statuses)
        rows = self.all_records()
        if not (ns or ks or ss):
            return rows
        return [r for r in rows if (not ns or r.namespace in ns) and (not ks or r.kind in ks)
                and (not ss or r.status in ss)]

    def get(self, namespace: str, kind: str, name: str) -> Record | None:
        with self._lock:
            return self._records.get((namespace, kind, name))

    def history(self, namespace: str, kind: str, name: str) -> tuple[Entry, ...]:
        """The resource's health transitions, newest first (at most :data:`HISTORY`); its first sighting is
        the oldest until there are more. Empty for an object the store does not hold."""
        with self._lock:
            return self._history.get((namespace, kind, name), ())

    def snapshots_of(self, namespace: str, kind: str, name: str) -> list[Record]:
        """The FlinkStateSnapshots whose ``spec.jobReference`` names this resource, by name."""
        return [r for r in self.all_records()
                if r.namespace == namespace and r.job_reference == (kind, name)]

    def kind_states(self) -> dict[str, KindState]:
        """Each kind's standing; with several namespaces, the worst of them (failing, pending,
        synced, absent), its reason prefixed with the namespace."""
        with self._lock:
            return {k: _worst(scopes) for k, scopes in self._states.items()}

    def synced(self) -> bool:
        """Every kind is current: listed and watched, or known to be absent; none is failing."""
        with self._lock:
            return all(s.state in (SYNCED, ABSENT) for scopes in self._states.values() for s in scopes.values())

    def ready(self) -> bool:
        """Every kind has been listed once or is known to be absent, and no credentials or rights are
        refused (``/readyz``). A kind whose watch fails later (the API server is down or unreachable)
        keeps serving its last state: every replica would fail alike, and taking them all out of the
        Service would hide that state from the people who need it."""
        with self._lock:
            return all((s.listed or s.state == ABSENT) and not s.refused
                       for scopes in self._states.values() for s in scopes.values())

    def transitions(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._transitions)

    def watch_restarts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._restarts)

    def decode_errors(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._decode_errors)


__all__ = ["HealthStore", "Record", "Entry", "Transition", "KindState", "HISTORY", "PENDING", "SYNCED", "ABSENT",
           "FAILING"]
