"""One render's budget: the bytes it reads, the lines it parses, the objects it builds and how long kustomize or helm may run.

The sidecar's environment sets the ceilings (``FLINK_GITOPS_MAX_*``, ``FLINK_GITOPS_TOOL_TIMEOUT``:
the Argo CD admin's choice, sized below for the sidecar's 1 GiB memory limit and Argo CD's 90 s
exec timeout). Parameters, which whoever writes the repository controls (``flink-gitops.yaml``,
the Application's plugin env and parameters), may only lower them: a value above the ceiling is an
error, not silently clamped, so the app's author learns why the render stops.

Lines are what a render's memory and time follow: each line (or comma, in a flow collection or
JSON written on one line) is at least one parsed node, and a node costs about 350 bytes while it is
parsed and 10-20 µs through load, steps and dump (measured: bench/render_bench.py objects, a block
list of ``- 1`` lines and a JSON array of ``1,``: 300-390 bytes per line alike). Bytes alone
cannot bound memory: 4 MiB of ``[1,1,1,...]`` take 750 MB, 4 MiB of ordinary manifests 70 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from flink_gitops import quantities as Q
from flink_gitops.errors import Problem, UserError
from flink_gitops.yamlio import count_lines


@dataclass(frozen=True)
class Limit:
    param: str  # the render parameter that may lower it
    env: str  # the sidecar's environment variable that sets the ceiling
    ceiling: str  # the ceiling when the variable is not set
    kind: str  # size | count | duration
    title: str  # the parameter's title in plugin.yaml
    what: str  # what it bounds, for --list-params and the docs


LIMITS: tuple[Limit, ...] = (
    Limit("max-file-size", "FLINK_GITOPS_MAX_FILE_SIZE", "16Mi", "size", "Largest file read",
          "files above this size are refused (bytes, or with a Ki/Mi/Gi suffix)"),
    Limit("max-total-size", "FLINK_GITOPS_MAX_TOTAL_SIZE", "32Mi", "size", "Most bytes read",
          "a render reading more bytes in all (every file, or kustomize/helm output) is refused"),
    Limit("max-total-lines", "FLINK_GITOPS_MAX_TOTAL_LINES", "1500000", "count", "Most lines parsed",
          "a render parsing more lines is refused (a comma counts as a line: memory and time follow them)"),
    Limit("max-objects", "FLINK_GITOPS_MAX_OBJECTS", "20000", "count", "Most objects",
          "a render building more Kubernetes objects is refused (List items count)"),
    Limit("tool-timeout", "FLINK_GITOPS_TOOL_TIMEOUT", "60s", "duration", "kustomize/helm time limit",
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
        self.total_lines = int(values["max-total-lines"])
        self.objects = int(values["max-objects"])
        self.tool_timeout = float(values["tool-timeout"])
        self.bytes_read = 0
        self.lines_read = 0
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

    def _over(self, limit: str, used: str, shown_in: str | None) -> OverBudget:
        spec = BY_PARAM[limit]
        return OverBudget(Problem(
            f"the render would read {used}, above its limit of {shown(spec, self.values[limit])} "
            f"(parameter {limit}; the sidecar's ceiling is {spec.env})", file=shown_in,
            hint="render less in one app (split it into several Applications), or raise the limit"))

    def take_bytes(self, n: int, source: str | None) -> None:
        self.bytes_read += n
        if self.bytes_read > self.total_size:
            raise self._over("max-total-size", f"{self.bytes_read:,} bytes so far", source)

    def take_text(self, text: str, source: str | None) -> None:
        """Charge the lines of ``text``, before it is parsed (parsing is what costs)."""
        self.lines_read += count_lines(text)
        if self.lines_read > self.total_lines:
            raise self._over("max-total-lines", f"{self.lines_read:,} lines so far", source)

    def take_objects(self, n: int, source: str | None) -> None:
        self.objects_built += n
        if self.objects_built > self.objects:
            raise self._over("max-objects", f"{self.objects_built:,} objects so far", source)

    def bytes_left(self) -> int:
        return max(0, self.total_size - self.bytes_read)
