"""What ``plan`` insists on before deciding: the fields the reconcilers read have the operator's types and enum values.

The operator reads a spec into typed classes (Jackson): a ``job`` that is not a mapping, a
``job.state`` that is not ``running``/``suspended``, a ``deploymentName`` that is not text cannot be
read at all (the API server's CRD schema refuses most of them first). ``plan`` refuses them the
same way, one problem per field, naming file, object and field, instead of guessing.
"""

from __future__ import annotations

import re

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located

MAPPING, TEXT, LIST = dict, str, list
_NAMES = {dict: "mapping", str: "string", list: "list"}

JOB_FIELDS = {"jarURI": TEXT, "entryClass": TEXT, "args": LIST, "state": TEXT, "upgradeMode": TEXT,
              "initialSavepointPath": TEXT}
SPEC_FIELDS = {"job": MAPPING, "flinkConfiguration": MAPPING, "image": TEXT, "imagePullPolicy": TEXT,
               "serviceAccount": TEXT, "flinkVersion": TEXT, "mode": TEXT, "ingress": MAPPING,
               "podTemplate": MAPPING, "jobManager": MAPPING, "taskManager": MAPPING, "logConfiguration": MAPPING,
               "deploymentName": TEXT}
ENUMS = {"job.state": ("running", "suspended"), "job.upgradeMode": ("stateless", "savepoint", "last-state"),
         "mode": ("native", "standalone")}
_VERSION = re.compile(r"v\d+_\d+")


def _kind_name(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return type(value).__name__.replace("dict", "mapping").replace("str", "string")


def check_spec(loc: Located, spec, where: str, problems: list[Problem]) -> None:
    """A FlinkDeployment or FlinkSessionJob spec (or a blue/green template's) at ``where``."""
    if spec is None:
        return
    if not isinstance(spec, dict):
        problems.append(loc.problem(f"expected a mapping, got a {_kind_name(spec)}", where))
        return
    for name, want in SPEC_FIELDS.items():
        value = spec.get(name)
        if value is not None and not isinstance(value, want):
            problems.append(loc.problem(f"expected a {_NAMES[want]}, got a {_kind_name(value)}", f"{where}.{name}"))
    job = spec.get("job")
    if isinstance(job, dict):
        for name, want in JOB_FIELDS.items():
            value = job.get(name)
            if value is not None and not isinstance(value, want):
                problems.append(loc.problem(f"expected a {_NAMES[want]}, got a {_kind_name(value)}",
                                            f"{where}.job.{name}"))
    for path, allowed in ENUMS.items():
        head, _, tail = path.rpartition(".")
        node = spec.get(head) if head else spec
        value = node.get(tail) if isinstance(node, dict) else None
        if isinstance(value, str) and value not in allowed:
            problems.append(loc.problem(f"{value!r} is not one of {', '.join(allowed)}", f"{where}.{path}"))
    version = spec.get("flinkVersion")
    if isinstance(version, str) and not _VERSION.fullmatch(version):
        problems.append(loc.problem(f"{version!r} is not a Flink version (e.g. v1_20)", f"{where}.flinkVersion"))


def check(loc: Located) -> None:
    """Every problem of one desired or live Flink object, raised together."""
    kind = loc.obj.get("kind")
    spec = loc.obj.get("spec")
    problems: list[Problem] = []
    if spec is not None and not isinstance(spec, dict):
        problems.append(loc.problem(f"expected a mapping, got a {_kind_name(spec)}", "spec"))
    elif kind in ("FlinkDeployment", "FlinkSessionJob"):
        check_spec(loc, spec, "spec", problems)
    elif kind == "FlinkBlueGreenDeployment" and isinstance(spec, dict):
        template = spec.get("template")
        if template is not None and not isinstance(template, dict):
            problems.append(loc.problem(f"expected a mapping, got a {_kind_name(template)}", "spec.template"))
        elif isinstance(template, dict):
            check_spec(loc, template.get("spec"), "spec.template.spec", problems)
    elif kind == "FlinkStateSnapshot" and isinstance(spec, dict):
        for name in ("savepoint", "checkpoint", "jobReference"):
            value = spec.get(name)
            if value is not None and not isinstance(value, dict):
                problems.append(loc.problem(f"expected a mapping, got a {_kind_name(value)}", f"spec.{name}"))
    if problems:
        raise UserError(problems)
