"""The autoscaler's options (``AutoscalerValidator``, ``CalendarUtils``) and its metric window against the
reconcile interval (``DefaultValidator.validateMetricsWindow``)."""

from __future__ import annotations

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.periods import excluded_period_error
from flink_gitops.render.validation.quantities import flink_duration, format_seconds
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation import operator_releases as releases
from flink_gitops.render.validation.registry import AUTOSCALER_VALIDATOR, register
from flink_gitops.render.validation.rules.common import REGISTERED, Report, Settings, bool_option, conf_field

DEFAULT_RECONCILE_INTERVAL = 60.0  # KubernetesOperatorConfigOptions.OPERATOR_RECONCILE_INTERVAL
HELM_RECONCILE_INTERVAL = 15.0  # helm/flink-kubernetes-operator/values.yaml defaultConfiguration
DEFAULT_METRICS_WINDOW = 900.0  # AutoScalerOptions.METRICS_WINDOW


register(
    "autoscaler", "autoscaler options out of range, bad excluded periods, metric window < reconcile interval",
    operator="The AutoScalerOption ... is invalid, it should be a value within the range [...]",
    source=AUTOSCALER_VALIDATOR,
    fix="values in range; a window of minutes (default 15 min).",
    details="Only with `job.autoscaler.enabled: true` (or the old `kubernetes.operator.job.autoscaler.*` spellings), "
            "first problem only, as upstream: options out of range (*\"The AutoScalerOption … is invalid, it should "
            "be a value within the range [min, max]\"*: scale-down/up max factor ≥ 0, utilization target in [0, 1], "
            "target boundary ≥ 0, utilization.max in [target, 1], utilization.min in [0, target], GC-pressure and "
            "heap-usage thresholds in [0, 1], and when their feature is on: observed-scalability coefficient-min in "
            "[0.01, 1], effectiveness threshold and memory-tuning overhead in [0, 1]); a non-number (*\"Invalid "
            "value in the autoscaler config …\"*); `excluded.periods` entries that are neither a daily range "
            "`HH:MM[:SS]-HH:MM[:SS]` (start before end) nor a Quartz cron expression, or two of a kind joined by "
            "`&&`; `metrics.window` shorter than the reconcile interval (*\"… otherwise fewer than two metric "
            "samples are retained and autoscaling is never applied.\"*). The reconcile interval is 60 s built in but "
            "15 s in the Helm chart's values: a window under 15 s is an error, one between 15 s and 60 s a "
            "**warning** unless the interval is known (flinkConfiguration or `validate-operator-config`). By "
            "`operator-version`: the GC-pressure and heap-usage thresholds, the feature-dependent options and the "
            "metric window from 1.16; before, coefficient-min is checked whether observed scalability is on or not "
            "(1.12 to 1.15) or not at all (1.11).",
    example=flink_deployment(
        spec='flinkConfiguration: {job.autoscaler.enabled: "true", job.autoscaler.utilization.target: "1.5"}'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.flinkConfiguration[job.autoscaler.utilization.target]: job.autoscaler.utilization.target is 1.5, "
             "outside [0.0, 1.0] (operator: \"The AutoScalerOption job.autoscaler.utilization.target is invalid, it "
             "should be a value within the range [0.0, 1.0]\") [autoscaler] (fix: set "
             "job.autoscaler.utilization.target within [0.0, 1.0])")


_A = fc.autoscaler_keys
_UTIL_TARGET = _A("utilization.target", "target.utilization")


def check_autoscaler(rep: Report, conf: Conf, settings: Settings) -> None:
    if not bool_option(rep, conf, _A("enabled"), False):
        return

    def number(keys: tuple[str, ...], default: float | None) -> float | None | str:
        hit = conf.find(keys)
        if hit is None:
            return default
        try:
            return float(hit[1].strip())
        except ValueError:
            return "bad"

    target = number(_UTIL_TARGET, 0.7)
    checks: list[tuple[tuple[str, ...], float | None, float | None, float | None]] = [
        (_A("scale-down.max-factor"), 0.6, 0.0, None),
        (_A("scale-up.max-factor"), 100000.0, 0.0, None),
        (_UTIL_TARGET, 0.7, 0.0, 1.0),
        (_A("target.utilization.boundary"), 0.3, 0.0, None),
        (_A("utilization.max"), None, target if isinstance(target, float) else None, 1.0),
        (_A("utilization.min"), None, 0.0, target if isinstance(target, float) else None),
    ]
    coefficient = (_A("observed-scalability.coefficient-min"), 0.5, 0.01, 1.0)
    if settings.has(releases.AUTOSCALER_STRICT_SINCE):
        checks += [(_A("memory.gc-pressure.threshold"), 1.0, 0.0, 1.0),
                   (_A("memory.heap-usage.threshold"), 1.0, 0.0, 1.0)]
        for enabled, option in (
            (_A("observed-scalability.enabled"), coefficient),
            (_A("scaling.effectiveness.detection.enabled"), (_A("scaling.effectiveness.threshold"), 0.1, 0.0, 1.0)),
            (_A("memory.tuning.enabled"), (_A("memory.tuning.overhead"), 0.2, 0.0, 1.0)),
        ):
            if bool_option(rep, conf, enabled, False):
                checks.append(option)
    elif settings.has(releases.AUTOSCALER_COEFFICIENT_SINCE):  # checked whether the feature is on or not
        checks.append(coefficient)
    for keys, default, low, high in checks:
        value = number(keys, default)
        hit = conf.find(keys)
        where = conf_field(hit[0]) if hit else None
        if value == "bad":
            rep.error("autoscaler", where, f"{hit[0]}: {hit[1]!r} is not a number",
                      f"Invalid value in the autoscaler config {keys[0]}", "write a decimal number, e.g. 0.7")
            return  # like the operator, report the first autoscaler problem only
        if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
            lo = "-Infinity" if low is None else repr(float(low))
            hi = "+Infinity" if high is None else repr(float(high))
            rep.error("autoscaler", where, f"{hit[0] if hit else keys[0]} is {value:g}, outside [{lo}, {hi}]",
                      f"The AutoScalerOption {keys[0]} is invalid, it should be a value within the range [{lo}, {hi}]",
                      f"set {keys[0]} within [{lo}, {hi}]")
            return
    periods = conf.find(_A("excluded.periods"))
    if periods is not None:
        for expression in [p for p in periods[1].split(";") if p.strip()]:
            message = excluded_period_error(expression, _A("excluded.periods")[0])
            if message:
                rep.error("autoscaler", conf_field(periods[0]), f"excluded period {expression.strip()!r} is invalid",
                          message, "use HH:MM[:SS]-HH:MM[:SS] (start before end) and/or a 6-7 field Quartz cron "
                          "expression, at most one of each joined by &&")
                return
    if settings.has(releases.METRICS_WINDOW_SINCE):
        check_metrics_window(rep, conf, settings)


def check_metrics_window(rep: Report, conf: Conf, settings: Settings) -> None:
    window_hit = conf.find(_A("metrics.window"))
    try:
        window = flink_duration(window_hit[1]) if window_hit else DEFAULT_METRICS_WINDOW
    except ValueError as exc:
        rep.error("autoscaler", conf_field(window_hit[0]), f"{window_hit[0]}: {exc}",
                  "the operator cannot parse the option and refuses the resource", "write e.g. 15 min")
        return
    interval_hit = conf.find(fc.RECONCILE_INTERVAL_KEYS)
    try:
        interval = flink_duration(interval_hit[1]) if interval_hit else None
    except ValueError as exc:
        rep.error("config-value", conf_field(interval_hit[0]), f"{interval_hit[0]}: {exc}",
                  REGISTERED, "write e.g. 60 s")
        return
    key = _A("metrics.window")[0]
    ikey = fc.RECONCILE_INTERVAL_KEYS[0]
    quote = (f"The autoscaler metric window ({key}=...) must not be smaller than the operator reconcile interval "
             f"({ikey}=...), otherwise fewer than two metric samples are retained and autoscaling is never applied.")
    where = conf_field(window_hit[0]) if window_hit else None
    hint = f"set {key} to at least the reconcile interval (default 15 min)"
    if interval is not None:
        if window < interval:
            rep.error("autoscaler", where, f"metric window {format_seconds(window)} is shorter than the reconcile "
                      f"interval {format_seconds(interval)}: autoscaling would never be applied", quote, hint)
    elif window < HELM_RECONCILE_INTERVAL:
        rep.error("autoscaler", where, f"metric window {format_seconds(window)} is shorter than any default reconcile "
                  "interval (1 min built in, 15 s in the Helm chart's values): autoscaling would never be applied",
                  quote, hint)
    elif window < DEFAULT_RECONCILE_INTERVAL:
        rep.warn("autoscaler", where, f"metric window {format_seconds(window)} is shorter than the operator's "
                 "built-in reconcile interval (1 min); accepted only if the operator runs with the Helm chart's 15 s",
                 quote, hint + f", or pass the operator's {ikey} in parameter validate-operator-config")


