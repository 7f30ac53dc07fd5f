"""One render's budget: the bytes it reads, the YAML nodes it parses, the objects it builds, and how long kustomize or helm may run.

The sidecar's environment sets the ceilings (``FLINK_GITOPS_MAX_*``, ``FLINK_GITOPS_TOOL_TIMEOUT``:
the Argo CD admin's choice). Parameters, which whoever writes the repository controls
(``flink-gitops.yaml``, the Application's plugin env and parameters), may only lower them: a value
above its ceiling is an error, not silently clamped, so the app's author learns why.

The defaults are sized for the sidecar's 1 GiB memory limit and Argo CD's 90 s exec timeout.
Bytes alone cannot bound memory: 4 MiB of ``[1,1,1,...]`` take 750 MB to parse, 4 MiB of ordinary
manifests 70 MB. Memory and time follow the YAML nodes, and a node needs a line break, a comma, a
colon or an opening bracket in the text, so their count, taken before parsing, bounds them
(yamlio.count_nodes). Measured per counted node, whole render (``/usr/bin/time``, max RSS): 120 B
and 25 µs for bench/render_bench.py's objects; 370-390 B for lists of ``1`` or ``{}``, block or
flow; 540-610 B for mappings of two keys and nested flow mappings, the heaviest shape found. So
1,000,000 nodes stay under about 650 MB and 25 s, leaving room for the output; kustomize and helm
get 45 s of the 90.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from flink_gitops import quantities as Q
from flink_gitops.errors import Problem, UserError
from flink_gitops.manifests import MAX_INPUT_BYTES
from flink_gitops.yamlio import count_nodes


@dataclass(frozen=True)
class Limit:
    param: str  # the render parameter that may lower it
    env: str  # the sidecar's environment variable that sets the ceiling
    ceiling: str  # the ceiling when the variable is not set
    kind: str  # size | count | duration
    title: str  # the parameter's title in plugin.yaml
    what: str  # what it bounds, for --list-params and the docs


LIMITS: tuple[Limit, ...] = (
    Limit("max-file-size", "FLINK_GITOPS_MAX_FILE_SIZE", Q.format_size(MAX_INPUT_BYTES), "size", "Largest file read",
          "files above this size are refused (bytes, or with a Ki/Mi/Gi suffix)"),
    Limit("max-total-size", "FLINK_GITOPS_MAX_TOTAL_SIZE", "32Mi", "size", "Most bytes read",
          "a render reading more bytes in all (every file, or kustomize/helm output) is refused"),
    Limit("max-total-nodes", "FLINK_GITOPS_MAX_TOTAL_NODES", "1000000", "count", "Most YAML nodes parsed",
          "a render parsing more YAML nodes is refused (keys, values, lists, mappings: counted before parsing as "
          "the line breaks, commas, colons and brackets of the text; memory and time follow them)"),
    Limit("max-objects", "FLINK_GITOPS_MAX_OBJECTS", "20000", "count", "Most objects",
          "a render building more Kubernetes objects is refused (List items count)"),
    Limit("tool-timeout", "FLINK_GITOPS_TOOL_TIMEOUT", "45s", "duration", "kustomize/helm time limit",
          "kustomize build or helm template running longer is stopped (e.g. 45s)"),
)
BY_PARAM: dict[str, Limit] = {limit.param: limit for limit in LIMITS}
#: The longest tool timeout a ceiling may set: an hour is far past any exec timeout Argo CD uses.
MAX_TOOL_TIMEOUT_SECONDS = 3600.0


def parse(limit: Limit, text: str, origin: str) -> float:
    if limit.kind == "size":
        return Q.parse_size(text, origin)
    if limit.kind == "count":
        return Q.parse_count(text, origin)
    return Q.parse_duration(text, origin, MAX_TOOL_TIMEOUT_SECONDS)


def shown(limit: Limit, value: float) -> str:
    if limit.kind == "size":
        return Q.format_size(int(value))
    if limit.kind == "count":
        return f"{int(value):,}"
    return Q.format_duration(value)


def ceilings(env: Mapping[str, str]) -> dict[str, float]:
    """Each limit's ceiling: the sidecar's variable, else its default. A bad variable is the admin's
    error, reported by its name."""
    out = {}
    for limit in LIMITS:
        text = env.get(limit.env, "").strip()
        out[limit.param] = parse(limit, text or limit.ceiling, limit.env if text else f"default of {limit.env}")
    return out


class OverBudget(UserError):
    """The render went past one of its limits: it stops at once, whatever else is left to report."""


class Budget:
    """What is left of one render's allowance; every reader of the app charges it."""

    def __init__(self, values: Mapping[str, float]):
        self.values = dict(values)
        self.file_size = int(values["max-file-size"])
        self.total_size = int(values["max-total-size"])
        self.total_nodes = int(values["max-total-nodes"])
        self.objects = int(values["max-objects"])
        self.tool_timeout = float(values["tool-timeout"])
        self.bytes_read = 0
        self.nodes_read = 0
        self.objects_built = 0

    @classmethod
    def of(cls, params: Mapping[str, object], env: Mapping[str, str]) -> "Budget":
        """The ceilings from ``env``, lowered by the parameters; a parameter above its ceiling is an error."""
        top = ceilings(env)
        values = dict(top)
        problems = []
        for limit in LIMITS:
            text = str(params.get(limit.param) or "").strip()
            if not text:
                continue
            try:
                value = parse(limit, text, f"parameter {limit.param}")
            except UserError as exc:
                problems.extend(exc.problems)
                continue
            if value > top[limit.param]:
                problems.append(Problem(
                    f"{text} is above the sidecar's limit of {shown(limit, top[limit.param])} ({limit.env})",
                    file=f"parameter {limit.param}",
                    hint=f"a repository or Application can only lower it; leave it out for the sidecar's limit, or "
                         f"ask the Argo CD admin to raise {limit.env} in the sidecar's environment"))
                continue
            values[limit.param] = value
        if problems:
            raise UserError(problems)
        return cls(values)

    @classmethod
    def defaults(cls) -> "Budget":
        return cls(ceilings({}))

    def _over(self, limit: str, what: str, shown_in: str | None) -> OverBudget:
        spec = BY_PARAM[limit]
        return OverBudget(Problem(
            f"{what.format(limit=shown(spec, self.values[limit]))} (parameter {limit}; the sidecar's ceiling is "
            f"{spec.env})", file=shown_in,
            hint="render less in one app (split it into several Applications), or raise the limit"))

    def take_bytes(self, n: int, source: str | None) -> None:
        self.bytes_read += n
        if self.bytes_read > self.total_size:
            raise self._over("max-total-size", f"reading this takes the render to {self.bytes_read:,} bytes, past its "
                             "limit of {limit}", source)

    def take_text(self, text: str, source: str | None) -> None:
        """Charge the nodes of ``text``, before it is parsed (parsing is what costs)."""
        self.nodes_read += count_nodes(text)
        if self.nodes_read > self.total_nodes:
            raise self._over("max-total-nodes", f"parsing this takes the render to {self.nodes_read:,} YAML nodes, past "
                             "its limit of {limit}", source)

    def take_objects(self, n: int, source: str | None) -> None:
        self.objects_built += n
        if self.objects_built > self.objects:
            raise self._over("max-objects", "this takes the render past its limit of {limit} objects", source)

    def bytes_left(self) -> int:
        return max(0, self.total_size - self.bytes_read)

    def objects_left(self) -> int:
        return max(0, self.objects - self.objects_built)
