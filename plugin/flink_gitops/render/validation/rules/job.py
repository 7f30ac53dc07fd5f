"""A job spec (``DefaultValidator.validateJobSpec``): upgrade mode, state, state directories, parallelism."""

from __future__ import annotations

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.quantities import flink_duration
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.registry import CRD_DEPLOYMENT, DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.common import (
    REGISTERED,
    Report,
    Settings,
    closest,
    conf_field,
    enum_value,
    integer_at,
)

UPGRADE_MODES = ("last-state", "savepoint", "stateless")
JOB_STATES = ("running", "suspended")
_NO_DEFAULTS_NOTE = "assuming the operator's default configuration does not set it"


register(
    "upgrade-mode", "upgradeMode not one of last-state, savepoint, stateless",
    operator="Unsupported value: \"...\": supported values: \"last-state\", \"savepoint\", \"stateless\"",
    source=CRD_DEPLOYMENT,
    fix="`last-state` resumes from the latest checkpoint (what \"stateful\" usually means), `savepoint` takes a "
        "savepoint before each upgrade, `stateless` starts empty. Omitted means `stateless`.",
    details="`spec.job.upgradeMode` not one of `last-state`, `savepoint`, `stateless` (API server on the CRD enum: "
            "*\"Unsupported value: \"stateful\": supported values: …\"*). `stateful` (seen in guides) is not a mode.",
    example=flink_deployment(job="parallelism: 2, upgradeMode: stateful"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.upgradeMode: upgradeMode "
             "'stateful' does not exist; the operator knows only last-state, savepoint, stateless (operator: "
             "\"Unsupported value: \"stateful\": supported values: \"last-state\", \"savepoint\", \"stateless\"\") "
             "[upgrade-mode] (fix: last-state resumes from the latest checkpoint (what 'stateful' usually means), "
             "savepoint takes a savepoint before each upgrade, stateless starts from empty state)")
register(
    "job-state", "job.state not one of running, suspended",
    operator="Unsupported value: \"...\": supported values: \"running\", \"suspended\"",
    source=CRD_DEPLOYMENT,
    fix="`running` or `suspended`, lower case.",
    details="`spec.job.state` not `running` or `suspended` (CRD enum, lower case).",
    example=flink_deployment(job="parallelism: 2, state: RUNNING"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.state: job state 'RUNNING' does "
             "not exist (did you mean running?); the operator knows only running, suspended (operator: "
             "\"Unsupported value: \"RUNNING\": supported values: \"running\", \"suspended\"\") [job-state] "
             "(fix: use running or suspended (lower "
             "case))")
register(
    "checkpoint-dir", "no checkpoint directory for last-state / savepoint upgrade mode",
    operator="Checkpoint directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade "
             "modes",
    source=DEFAULT_VALIDATOR,
    fix="set `execution.checkpointing.dir` to durable storage (`s3://…/checkpoints`), or `upgradeMode: stateless`.",
    details="`upgradeMode` `last-state` or `savepoint` without a checkpoint directory "
            "(`execution.checkpointing.dir`, or the older `state.checkpoints.dir`). Operator: *\"Checkpoint "
            "directory[execution.checkpointing.dir] must be defined for last-state and savepoint upgrade modes\"*. "
            "For a session job the session cluster's configuration counts too.",
    example=flink_deployment(job="parallelism: 2, upgradeMode: last-state"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.upgradeMode: upgradeMode "
             "last-state needs a checkpoint directory, but flinkConfiguration sets none (assuming the operator's "
             "default configuration does not set it) (operator: \"Checkpoint directory[execution.checkpointing.dir] "
             "must be defined for last-state and savepoint upgrade modes\") [checkpoint-dir] (fix: set "
             "execution.checkpointing.dir (or state.checkpoints.dir) to durable storage, e.g. "
             "s3://bucket/checkpoints, or use upgradeMode: stateless; or, if the operator's defaultConfiguration "
             "sets it, give that configuration to the plugin (parameter validate-operator-config))")
register(
    "savepoint-dir", "no savepoint directory for savepoint mode, savepointTriggerNonce, periodic savepoints, or "
    "last-state checkpoint max age",
    operator="Job could not be upgraded with savepoint while config key[...] is not set",
    source=DEFAULT_VALIDATOR,
    fix="set the savepoint directory, or drop what needs it.",
    details="No savepoint directory (`execution.checkpointing.savepoint-dir` / `state.savepoints.dir`) while one is "
            "needed, first match wins, as upstream: `upgradeMode: savepoint` (*\"Job could not be upgraded with "
            "savepoint while config key[…] is not set\"*); `savepointTriggerNonce` set (*\"Savepoint could not be "
            "manually triggered for the running job while …\"*); `kubernetes.operator.periodic.savepoint.interval` "
            "present (*\"Periodic savepoints cannot be enabled when …\"*); "
            "`kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age` set (*\"In order to use "
            "max-checkpoint age functionality config key[…] must be set …\"*).",
    example=flink_deployment(spec='flinkConfiguration: {execution.checkpointing.dir: "s3://flink/checkpoints"}',
                             job="parallelism: 2, upgradeMode: savepoint"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.upgradeMode: upgradeMode "
             "savepoint needs a savepoint directory, but flinkConfiguration sets none (assuming the operator's "
             "default configuration does not set it) (operator: \"Job could not be upgraded with savepoint while "
             "config key[execution.checkpointing.savepoint-dir] is not set\") [savepoint-dir] (fix: set "
             "execution.checkpointing.savepoint-dir (or state.savepoints.dir) to durable storage, e.g. "
             "s3://bucket/savepoints; or, if the operator's defaultConfiguration sets it, give that configuration to "
             "the plugin (parameter validate-operator-config))")
register(
    "parallelism", "job parallelism / TaskManager replicas below 1",
    operator="Job parallelism must be larger than 0",
    source=DEFAULT_VALIDATOR,
    fix="`job.parallelism` (or `taskManager.replicas`) of 1 or more.",
    details="With `spec.taskManager.replicas` set: below 1 (*\"TaskManager replicas must be larger than 0\"*; "
            "session clusters: *\"TaskManager replicas should not be configured less than one.\"*). Without it: "
            "`spec.job.parallelism` missing or below 1 (*\"Job parallelism must be larger than 0\"*) — also for "
            "session jobs.",
    example=flink_deployment(job="parallelism: 0"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.job.parallelism: job parallelism is "
             "0: it must be at least 1 (or set spec.taskManager.replicas) (operator: \"Job parallelism must be "
             "larger than 0\") [parallelism] (fix: set job.parallelism: 1 or more)")


def upgrade_mode_hint(value: object) -> str:
    """The fix for a wrong upgradeMode: the mode a typo meant, else what each mode does (``stateful`` is no typo)."""
    guess = closest(value, UPGRADE_MODES) if isinstance(value, str) else None
    if guess:
        return f"write upgradeMode: {guess}"
    return ("last-state resumes from the latest checkpoint (what 'stateful' usually means), savepoint takes a "
            "savepoint before each upgrade, stateless starts from empty state")


def check_job(rep: Report, job: dict, conf: Conf, settings: Settings, *, tm_replicas: int | None,
              has_tm_replicas: bool, session: bool = False, field_prefix: str = "spec.job") -> None:
    """``validateJobSpec`` (plus the CRD enums of the job spec)."""
    mode = job.get("upgradeMode")
    enum_value(rep, "upgrade-mode", mode, UPGRADE_MODES, f"{field_prefix}.upgradeMode", "upgradeMode",
               upgrade_mode_hint(mode))
    enum_value(rep, "job-state", job.get("state"), JOB_STATES, f"{field_prefix}.state", "job state",
               "use running or suspended (lower case)")
    mode = mode if mode in UPGRADE_MODES else "stateless"
    note = "" if settings.operator_conf_given else f" ({_NO_DEFAULTS_NOTE})"
    # Many platforms set the state directories once, in the operator's defaultConfiguration: say how to
    # tell the plugin instead of making every app repeat them.
    via_operator = "" if settings.operator_conf_given else (
        "; or, if the operator's defaultConfiguration sets it, give that configuration to the plugin "
        "(parameter validate-operator-config)")
    where = "the session cluster's or the job's flinkConfiguration" if session else "flinkConfiguration"
    if mode != "stateless" and not conf.nonblank(fc.CHECKPOINT_DIR_KEYS):
        rep.error("checkpoint-dir", f"{field_prefix}.upgradeMode",
                  f"upgradeMode {mode} needs a checkpoint directory, but {where} sets none{note}",
                  f"Checkpoint directory[{fc.CHECKPOINT_DIR_KEYS[0]}] must be defined for last-state and savepoint "
                  "upgrade modes",
                  f"set {fc.CHECKPOINT_DIR_KEYS[0]} (or state.checkpoints.dir) to durable storage, e.g. "
                  "s3://bucket/checkpoints, or use upgradeMode: stateless" + via_operator)
    if not conf.nonblank(fc.SAVEPOINT_DIR_KEYS):
        key = fc.SAVEPOINT_DIR_KEYS[0]
        fix = f"set {key} (or state.savepoints.dir) to durable storage, e.g. s3://bucket/savepoints"
        fix_default = fix + via_operator
        if mode == "savepoint":
            rep.error("savepoint-dir", f"{field_prefix}.upgradeMode",
                      f"upgradeMode savepoint needs a savepoint directory, but {where} sets none{note}",
                      f"Job could not be upgraded with savepoint while config key[{key}] is not set", fix_default)
        elif job.get("savepointTriggerNonce") is not None:
            rep.error("savepoint-dir", f"{field_prefix}.savepointTriggerNonce",
                      f"savepointTriggerNonce asks for a savepoint, but {where} sets no savepoint directory{note}",
                      f"Savepoint could not be manually triggered for the running job while config key[{key}] is "
                      "not set", fix + ", or remove savepointTriggerNonce" + via_operator)
        elif conf.has(fc.PERIODIC_SAVEPOINT_KEYS):
            rep.error("savepoint-dir", conf_field(fc.PERIODIC_SAVEPOINT_KEYS[0]),
                      f"periodic savepoints are configured, but {where} sets no savepoint directory{note}",
                      f"Periodic savepoints cannot be enabled when config key[{key}] is not set",
                      fix + f", or remove {fc.PERIODIC_SAVEPOINT_KEYS[0]}" + via_operator)
        elif conf.has(fc.CHECKPOINT_MAX_AGE_KEYS):
            age_key = fc.CHECKPOINT_MAX_AGE_KEYS[0]
            try:
                flink_duration(conf.values[age_key])
            except ValueError as exc:
                rep.error("config-value", conf_field(age_key), f"{age_key}: {exc}",
                          REGISTERED,
                          "write a duration such as 10 min")
            else:
                rep.error("savepoint-dir", conf_field(age_key),
                          f"{age_key} falls back to savepoint upgrades, but {where} sets no savepoint directory{note}",
                          f"In order to use max-checkpoint age functionality config key[{key}] must be set to allow "
                          "triggering savepoint upgrades.", fix + f", or remove {age_key}" + via_operator)
    parallelism = integer_at(rep, job, "parallelism", f"{field_prefix}.parallelism")
    if has_tm_replicas:
        if tm_replicas is not None and tm_replicas < 1:
            rep.error("parallelism", "spec.taskManager.replicas",
                      f"taskManager.replicas is {tm_replicas}: no TaskManager would run the job",
                      "TaskManager replicas must be larger than 0", "set taskManager.replicas to 1 or more")
    elif parallelism is None or parallelism < 1:
        if parallelism is None and job.get("parallelism") is not None:
            return  # a type error was reported
        got = "missing" if parallelism is None else str(parallelism)
        rep.error("parallelism", f"{field_prefix}.parallelism",
                  f"job parallelism is {got}: it must be at least 1"
                  + ("" if session else " (or set spec.taskManager.replicas)"),
                  REGISTERED, "set job.parallelism: 1 or more")
