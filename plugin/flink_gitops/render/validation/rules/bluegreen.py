"""FlinkBlueGreenDeployment: its ``spec.template.spec`` is the FlinkDeployment spec the controller deploys as the
blue and the green cluster, so it is checked as one (each finding names its ``spec.template.spec`` field)."""

from __future__ import annotations

from dataclasses import replace

from flink_gitops.render.validation.registry import BLUE_GREEN_HANDLER, register
from flink_gitops.render.validation.rules.common import REGISTERED, Report, Settings, mapping_at, type_name
from flink_gitops.render.validation.rules.deployment import check_deployment_spec

TEMPLATE_SPEC = "spec.template.spec"

register(
    "blue-green", "FlinkBlueGreenDeployment without spec.template.spec (the FlinkDeployment spec it deploys)",
    operator="context.getBgDeployment().getSpec().getTemplate().getSpec().getJob()",
    source=BLUE_GREEN_HANDLER,
    fix="add spec.template.spec: a FlinkDeployment spec (flinkVersion, serviceAccount, jobManager, taskManager, job).",
    details="A FlinkBlueGreenDeployment deploys its `spec.template.spec` as two FlinkDeployments in turn (blue, "
            "then green), so that spec must pass every FlinkDeployment rule: they run on it with fields named "
            "`spec.template.spec.…` (`flinkVersion: 1.20`, `parallelism: 0`, `upgradeMode: stateful` fail as they "
            "would in a FlinkDeployment). Without a template the controller has nothing to deploy: it reads "
            "`spec.template.spec.job` first.",
    example="""\
apiVersion: flink.apache.org/v1beta1
kind: FlinkBlueGreenDeployment
metadata: {name: orders, namespace: streaming}
spec:
  configuration: {kubernetes.operator.bluegreen.deployment-deletion.delay: 1 min}
""",
    expected="example.yaml (document 1): FlinkBlueGreenDeployment streaming/orders: spec.template.spec: the "
             "blue/green deployment has no template spec: nothing to deploy (operator: "
             "\"context.getBgDeployment().getSpec().getTemplate().getSpec().getJob()\") [blue-green] (fix: add "
             "spec.template.spec with the FlinkDeployment spec (flinkVersion, serviceAccount, jobManager, "
             "taskManager, job))",
    since="1.14")


def check_blue_green(rep: Report, settings: Settings, namespace: str) -> None:
    spec = rep.loc.obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkBlueGreenDeployment has no spec" if spec is None else
                  f"spec must be a mapping, got {type_name(spec)}", None,
                  "add spec.template.spec: the FlinkDeployment spec to deploy blue/green")
        return
    template = mapping_at(rep, spec, "template", "spec.template")
    if spec.get("template") is not None and template is None:
        return  # a type error was reported
    template_spec = mapping_at(rep, template, "spec", TEMPLATE_SPEC) if template is not None else None
    if template_spec is None:
        if template is None or template.get("spec") is None:
            rep.error("blue-green", TEMPLATE_SPEC, "the blue/green deployment has no template spec: nothing to deploy",
                      REGISTERED,
                      "add spec.template.spec with the FlinkDeployment spec (flinkVersion, serviceAccount, "
                      "jobManager, taskManager, job)")
        return
    # Every FlinkDeployment rule on the template, with its fields under spec.template.spec.
    template_rep = replace(rep, spec_path=TEMPLATE_SPEC, errors=[], warnings=[])
    check_deployment_spec(template_rep, template_spec, settings, namespace)
    rep.errors.extend(template_rep.errors)
    rep.warnings.extend(template_rep.warnings)
