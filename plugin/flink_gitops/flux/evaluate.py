"""Flux's status evaluator (fluxcd/pkg ``runtime/cel`` ``StatusEvaluator.Evaluate``), run on a real CEL engine.

The rules, as kustomize-controller and helm-controller apply ``healthCheckExprs``:

1. ``status.observedGeneration`` and ``metadata.generation`` both int64 and different:
   InProgress, no expression runs;
2. then ``inProgress``, ``failed``, ``current`` in that order; the first true decides;
3. none true: InProgress;
4. an evaluation error (missing key, wrong type, non-bool result): Unknown (Flux keeps
   waiting until the Kustomization's timeout).

The engine is cel-expr-python (Google's, on cel-cpp), the closest to Flux's cel-go Python has;
expressions are compiled with type checks disabled, as Flux only parses them. It is an optional
dependency (``pip install flink-gitops[flux]``), imported only when an expression runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import group_of
from flink_gitops.health.status import CURRENT, FAILED, IN_PROGRESS, UNKNOWN

ORDER = (("inProgress", IN_PROGRESS), ("failed", FAILED), ("current", CURRENT))
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class FluxResult:
    status: str  # Current | InProgress | Failed | Unknown
    decided_by: str  # observedGeneration | inProgress | failed | current | none
    error: str = ""  # the evaluation error that made it Unknown


class CelEvalError(Exception):
    """An expression failed to evaluate (Flux: the resource is Unknown)."""


class CelEngine:
    """Parses (never checks) and evaluates CEL with the extensions Flux enables.

    Flux's environment: strings, sets, encoders, optional types, cross-type numeric
    comparisons. cel-expr-python has all but the sets extension; the generated expressions
    use none of the extensions, only ``has()``, ``type()``, comparisons and ``in``.
    """

    def __init__(self):
        try:
            from cel_expr_python import cel
            from cel_expr_python.ext import ext_encoders, ext_optional, ext_strings
        except ImportError:
            raise UserError(Problem("the Flux engine needs cel-expr-python",
                                    hint="pip install 'flink-gitops[flux]'")) from None
        self._env = cel.NewEnv(extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(),
                                           ext_encoders.ExtEncoders()])
        self._programs: dict[str, object] = {}

    def parse(self, expr: str):
        program = self._programs.get(expr)
        if program is None:
            program = self._programs[expr] = self._env.compile(expr, disable_check=True)
        return program

    def evaluate_boolean(self, expr: str, data: dict) -> bool:
        value = self.parse(expr).eval(data=data)
        kind = value.type().name()
        if kind == "ERROR":
            raise CelEvalError(f"failed to evaluate the CEL expression: {value.value()}")
        if kind != "BOOL":
            raise CelEvalError(f"failed to evaluate CEL expression as boolean (got {kind.lower()})")
        return bool(value.value())


def as_unstructured(value):
    """``value`` as Kubernetes' unstructured JSON decoding hands it to Flux: integers that do not
    fit int64 become float64, keys are strings, nothing else (e.g. bytes) survives as itself."""
    if isinstance(value, dict):
        return {_key(k): as_unstructured(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_unstructured(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return value
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return str(value)


def _key(key) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _nested_int64(obj: dict, *path: str) -> int | None:
    """``unstructured.NestedInt64``: the value when every step is a map and the leaf an int64."""
    value = obj
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and _INT64[0] <= value <= _INT64[1]:
        return value
    return None


def evaluate(entry: dict, obj: dict, engine: CelEngine) -> FluxResult:
    """What Flux decides for ``obj`` with one ``healthCheckExprs`` entry (``obj`` as unstructured)."""
    obj = as_unstructured(obj)
    observed = _nested_int64(obj, "status", "observedGeneration")
    if observed is not None:
        generation = _nested_int64(obj, "metadata", "generation")
        if generation is not None and observed != generation:
            return FluxResult(IN_PROGRESS, "observedGeneration")
    for name, status in ORDER:
        expr = entry.get(name)
        if not expr:
            continue
        try:
            if engine.evaluate_boolean(expr, obj):
                return FluxResult(status, name)
        except CelEvalError as exc:
            return FluxResult(UNKNOWN, name, str(exc))
    return FluxResult(IN_PROGRESS, "none")


def entry_for(obj: dict, entries: list[dict]) -> dict | None:
    """The entry Flux uses for ``obj``: same API group and kind (the version is ignored; the group as
    apimachinery parses apiVersion, as Flux does)."""
    api, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return None
    group = group_of(api)
    for entry in entries:
        if entry.get("kind") == kind and group_of(str(entry.get("apiVersion", ""))) == group:
            return entry
    return None
