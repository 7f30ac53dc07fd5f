"""The simulated Flink operator: moves the demo's fleet through its story, one step at a time, in an ApiServer.

Each tick advances every resource one step along its track (``fleet.py``, looping) and writes what
changed as the operator would: a new spec bumps ``metadata.generation``, the status follows it
(``observedGeneration``, ``lastReconciledSpec``) when the operator accepts it, every write gets a new
``resourceVersion`` and goes out to open watches as MODIFIED, and snapshots that appear or go are
ADDED or DELETED. A step repeated on purpose (stable for a while) writes nothing, as the operator
writes no status that did not change.
"""

from __future__ import annotations

import threading
import time

from flink_gitops.simulation.apiserver import GROUP_VERSION, ApiServer
from flink_gitops.simulation.fleet import FLEET, Live, Resource, Step, advance, start

#: seconds between steps at --speed 1: slow enough to read the dashboard, fast enough to see the story move
STEP_SECONDS = 3.0


class SimulatedOperator:
    """Drives ``fleet`` in ``server``: :meth:`seed` creates it, :meth:`tick` moves it one step;
    :meth:`start` ticks every ``STEP_SECONDS / speed`` seconds in a thread until :meth:`stop`."""

    def __init__(self, server: ApiServer, speed: float = 1.0, fleet: tuple[Resource, ...] = FLEET):
        if not speed > 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        self.server = server
        self.interval = STEP_SECONDS / speed
        self.fleet = fleet
        self._positions: dict[tuple[str, str, str], int] = {}
        self._live: dict[tuple[str, str, str], Live] = {}
        self._last: dict[tuple[str, str, str], Step] = {}
        self._uids: dict[tuple[str, str, str], str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the story ----------------------------------------------------------------------------

    def seed(self) -> None:
        """Create the fleet (owners before their snapshots) and play each track up to the step the demo
        opens at (``Resource.opens_at``), so the dashboard shows a varied fleet from the first look."""
        for resource in self.fleet:
            self._live[resource.key] = start(resource)
            for step in resource.track[:resource.opens_at + 1]:
                self._apply(resource, step)
            self._positions[resource.key] = resource.opens_at

    def tick(self) -> None:
        """Every resource one step further along its track."""
        for resource in self.fleet:
            position = self._positions[resource.key] = self._positions[resource.key] + 1
            self._apply(resource, resource.track[position % len(resource.track)])

    def present(self) -> int:
        """How many of the fleet's resources exist now."""
        return sum(1 for live in self._live.values() if live.exists)

    def _apply(self, resource: Resource, step: Step) -> None:
        live = self._live[resource.key]
        if self._last.get(resource.key) is step and step.spec is None:
            return  # nothing changed: the operator writes nothing
        self._last[resource.key] = step
        existed = live.exists
        status = advance(live, step, int(time.time() * 1000))
        kind, namespace, name = resource.key
        if status is None:
            if existed:
                self.server.delete(kind, namespace, name)
        elif not existed:
            created = self.server.create(kind, namespace, name, spec=live.spec, status=status,
                                         generation=live.generation, labels=resource.labels or None,
                                         owner_references=self._owner_references(resource))
            self._uids[resource.key] = created["metadata"]["uid"]
        else:
            self.server.update(kind, namespace, name, spec=live.spec if step.spec is not None else None,
                               status=status)

    def _owner_references(self, resource: Resource) -> list | None:
        """A snapshot belongs to its job's resource, as the operator's upgrade snapshots do."""
        if resource.owner is None:
            return None
        kind, name = resource.owner
        uid = self._uids.get((kind, resource.namespace, name))
        if uid is None:
            return None
        return [{"apiVersion": GROUP_VERSION, "kind": kind, "name": name, "uid": uid,
                 "controller": False, "blockOwnerDeletion": False}]

    # --- the clock ------------------------------------------------------------------------------

    def start(self) -> "SimulatedOperator":
        self._thread = threading.Thread(target=self._run, name="simulated-operator", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
