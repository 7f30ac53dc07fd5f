"""What every rule module shares: the settings, one object's report, and typed accessors that turn a
wrong type into a ``schema`` finding instead of a crash."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flink_gitops.errors import Problem
from flink_gitops.flink import Located
from flink_gitops.flink import API_GROUP
from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.operator_releases import NEWEST, has
from flink_gitops.render.validation.registry import CRD_DEPLOYMENT, DEFAULT_VALIDATOR, RULES, register

SERVED_VERSIONS = ("v1beta1",)
CANARY_LABEL = f"{API_GROUP}/canary"
DEFAULT_JAR_SCHEMES = ("https",)  # KubernetesOperatorConfigOptions: user.artifacts.allowed-schemes
#: As a finding's quote: the rule's registered ``operator`` words (one copy of the text, in the registration).
REGISTERED = "<the rule's registered operator quote>"


register(
    "schema", "a field of the wrong type (the CRD schema refuses it)",
    operator="the CRD schema declares an integer here",
    source=CRD_DEPLOYMENT,
    fix="write the type the message names.",
    details="A field of the wrong type where the CRD declares another (`parallelism: \"2\"`, `flinkConfiguration` as "
            "a list, `resource.cpu: \"1\"`, a missing or non-mapping `spec`). The API server refuses it against the "
            "CRD schema.",
    example=flink_deployment(job='parallelism: "2"'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.parallelism: must be an integer, "
             "got a string '2' (operator: \"the CRD schema declares an integer here\") [schema] (fix: write a plain "
             "number, e.g. parallelism: 2)")
register(
    "config-value", "an operator option in flinkConfiguration with a value that does not parse",
    operator="the operator cannot parse the option and refuses the resource",
    source=DEFAULT_VALIDATOR,
    fix="the format the message names.",
    details="An operator option the validator reads whose value does not parse (a boolean that is not "
            "`true`/`false`, a duration such as the checkpoint max age or reconcile interval). The operator fails on "
            "it and refuses the resource.",
    example=flink_deployment(
        spec='flinkConfiguration: {kubernetes.operator.deployment.rollback.enabled: "yes please"}'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.flinkConfiguration[kubernetes.operator.deployment.rollback.enabled]: "
             "kubernetes.operator.deployment.rollback.enabled: 'yes please' is not a boolean (true or false) "
             "(operator: \"the operator cannot parse the option and refuses the resource\") [config-value] (fix: "
             "write true or false)")


@dataclass
class Settings:
    operator_conf: dict[str, str]
    operator_conf_given: bool
    namespace: str
    skip_rules: frozenset[str]
    jar_schemes: tuple[str, ...] = DEFAULT_JAR_SCHEMES
    restricted_hosts: bool = True
    #: The operator release whose rules apply (parameter operator-version).
    operator_version: str = NEWEST

    def has(self, since: str) -> bool:
        """True when the operator release validated against has what came in ``since``."""
        return has(self.operator_version, since)


@dataclass
class Report:
    """One object's findings."""

    loc: Located
    skip: frozenset[str] | None  # None: every rule skipped
    # Where the FlinkDeployment spec being checked sits (a blue/green template nests one deeper).
    spec_path: str = "spec"
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def _add(self, target: list, rule: str, field_: str | None, message: str, quote: str | None,
             hint: str | None) -> None:
        if rule not in RULES:
            raise KeyError(f"validation rule {rule!r} is not registered")
        if self.skip is None or rule in self.skip:
            return
        if field_ is not None and self.spec_path != "spec" and (field_ == "spec" or field_.startswith("spec.")):
            field_ = self.spec_path + field_[4:]
        if quote is REGISTERED:
            quote = RULES[rule].operator
        text = message
        if quote:
            text += f' (operator: "{quote}")'
        target.append(replace(self.loc.problem(text, field_, hint), rule=rule))

    def error(self, rule: str, field_: str | None, message: str, quote: str | None = None,
              hint: str | None = None) -> None:
        self._add(self.errors, rule, field_, message, quote, hint)

    def warn(self, rule: str, field_: str | None, message: str, quote: str | None = None,
             hint: str | None = None) -> None:
        self._add(self.warnings, rule, field_, message, quote, hint)


# ---------------------------------------------------------------------------------------------
# small typed accessors (never raise on odd input: a wrong type is a "schema" finding)


def mapping_at(rep: Report, parent: dict, key: str, path: str) -> dict | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        rep.error("schema", path, f"must be a mapping, got {type_name(value)}",
                  "the CRD schema declares an object here", f"write {key} as a YAML mapping")
        return None
    return value


def string_at(rep: Report, parent: dict, key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None or isinstance(value, str):
        return value
    rep.error("schema", path, f"must be a string, got {type_name(value)} {value!r}",
              "the CRD schema declares a string here", f"quote the value: {key}: \"{value}\"")
    return None


def integer_at(rep: Report, parent: dict, key: str, path: str) -> int | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    rep.error("schema", path, f"must be an integer, got {type_name(value)} {value!r}",
              REGISTERED, f"write a plain number, e.g. {key}: 2")
    return None


def type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def conf_field(key: str) -> str:
    return f"spec.flinkConfiguration[{key}]"


def flink_conf(rep: Report, spec: dict, path: str = "spec.flinkConfiguration") -> dict[str, str]:
    raw = spec.get("flinkConfiguration")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        rep.error("schema", path, f"must be a mapping of Flink options, got {type_name(raw)}",
                  "flinkConfiguration is a map of config keys to values",
                  "write flinkConfiguration as key: value pairs (flat or nested YAML)")
        return {}
    return fc.flatten(raw)


def enum_value(rep: Report, rule: str, value: object, allowed: tuple[str, ...], path: str, what: str,
               hint: str) -> bool:
    if value is None or value in allowed:
        return True
    listed = ", ".join(f'"{a}"' for a in allowed)
    guess = closest(value, allowed) if isinstance(value, str) else None
    mean = f" (did you mean {guess}?)" if guess else ""
    rep.error(rule, path, f"{what} {value!r} does not exist{mean}; the operator knows only {', '.join(allowed)}",
              f'Unsupported value: "{value}": supported values: {listed}', hint)
    return False


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of two letters counts once."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def closest(value: str, candidates: tuple[str, ...] | list[str], max_distance: int = 2) -> str | None:
    """The one candidate a typo most likely meant: equal but for case, or within ``max_distance`` edits
    (1 for short words) of it; None when nothing is that close or two candidates tie."""
    low = value.lower()
    limit = min(max_distance, 1 if len(value) <= 4 else max_distance)
    scored = sorted((edit_distance(low, c.lower()), c) for c in candidates)
    if not scored or scored[0][0] > limit or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def bool_option(rep: Report, conf: Conf, keys: tuple[str, ...], default: bool) -> bool:
    try:
        return conf.boolean(keys, default)
    except ValueError as exc:
        hit = conf.find(keys)
        rep.error("config-value", conf_field(hit[0]) if hit else None, str(exc),
                  REGISTERED, "write true or false")
        return default
