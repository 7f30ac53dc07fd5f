"""Sync waves: what Argo CD will do with the order the plugin writes."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st, HealthCheck

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import set_annotation
from flink_gitops.render.sources import load_directory
from flink_gitops.render.waves import assign_sync_waves, wave_constraints

APPS = Path(__file__).parent / "fixtures" / "apps"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "app"
WAVE = "argocd.argoproj.io/sync-wave"


def ctx(**params) -> RenderContext:
    merged = {**P.defaults(), **params}
    return RenderContext(params=merged, app_dir=None, repo_root=None, namespace="apps")


def waves_of(objs: list[Located]) -> dict[str, int | None]:
    """kind/name -> the wave written on each object (None: none, Argo CD's default 0)."""
    out = {}
    for loc in objs:
        ann = (loc.obj.get("metadata") or {}).get("annotations") or {}
        out[f"{loc.obj['kind']}/{loc.obj['metadata']['name']}"] = int(ann[WAVE]) if WAVE in ann else None
    return out


def load(app: Path) -> list[Located]:
    return load_directory(str(app), ctx())


def run_waves(text: str, **params) -> list[dict]:
    """YAML in, the objects as the waves step writes them out."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    return [loc.obj for loc in assign_sync_waves([Located(d, "app.yaml", i + 1) for i, d in enumerate(docs)],
                                                 ctx(**params))]


def expect(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


DEPLOYMENT_AND_LOG4J = """
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: my-streaming-app}
spec: {flinkVersion: v1_20, job: {jarURI: local:///opt/flink/usrlib/app.jar}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flink-config-my-streaming-app}
data: {log4j-console.properties: "monitorInterval=30"}
"""


def test_log4j_configmap_follows_the_deployment_which_keeps_its_wave():
    # Moving the deployment earlier would put it before every wave-0 object it needs: it keeps the
    # default wave (nothing written on it) and only its ConfigMap moves.
    assert run_waves(DEPLOYMENT_AND_LOG4J) == expect(_with_waves(DEPLOYMENT_AND_LOG4J, {"flink-config-my-streaming-app": "1"}))
    assert expect(_with_waves(DEPLOYMENT_AND_LOG4J, {"flink-config-my-streaming-app": "1"}))[1]["metadata"] == {
        "name": "flink-config-my-streaming-app", "annotations": {WAVE: "1"}}


# Every form in which a FlinkDeployment names what its pods need, an unrelated custom resource
# (a KafkaTopic the job reads) and a Secret nothing names: none of them may sync after it.
NEEDS = """
{apiVersion: v1, kind: ServiceAccount, metadata: {name: billing-flink}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: billing-flink}
rules: [{apiGroups: [""], resources: [pods], verbs: [create, delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: billing-flink}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: billing-flink}
subjects: [{kind: ServiceAccount, name: billing-flink}]
---
{apiVersion: v1, kind: Secret, metadata: {name: billing-s3}}
---
{apiVersion: v1, kind: Secret, metadata: {name: billing-db-password}}
---
{apiVersion: v1, kind: Secret, metadata: {name: billing-registry}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: billing-hadoop}}
---
{apiVersion: v1, kind: Secret, metadata: {name: billing-tls}}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: billing-env}}
---
{apiVersion: v1, kind: Secret, metadata: {name: billing-unnamed}}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata: {name: billing-events}
spec: {partitions: 6}
---
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: billing%(wave)s}
spec:
  flinkVersion: v1_20
  serviceAccount: billing-flink
  flinkConfiguration:
    kubernetes.secrets: "billing-s3:/opt/secrets/s3"
    kubernetes.env.secretKeyRef: "env:DB_PASSWORD,secret:billing-db-password,key:password"
    kubernetes.container.image.pull-secrets: billing-registry
    kubernetes.hadoop.conf.config-map.name: billing-hadoop
  podTemplate:
    spec:
      volumes: [{name: tls, secret: {secretName: billing-tls}}]
      containers:
        - name: flink-main-container
          env: [{name: REGION, valueFrom: {configMapKeyRef: {name: billing-env, key: region}}}]
  job: {jarURI: local:///opt/flink/usrlib/billing.jar, upgradeMode: savepoint}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flink-config-billing}
data: {log4j-console.properties: "monitorInterval=30"}
---
apiVersion: flink.apache.org/v1beta1
kind: FlinkStateSnapshot
metadata: {name: billing-before-upgrade}
spec: {jobReference: {kind: FlinkDeployment, name: billing}, savepoint: {}}
"""


def _with_waves(text: str, waves: dict[str, str]) -> str:
    """``text`` with sync-wave annotations added to the objects named (by the line of their metadata)."""
    for name, wave in waves.items():
        old = f"metadata: {{name: {name}}}"
        assert old in text, name
        text = text.replace(old, f"metadata: {{name: {name}, annotations: {{argocd.argoproj.io/sync-wave: \"{wave}\"}}}}")
    return text


def test_every_dependency_form_and_an_unrelated_cr_stay_in_the_deployments_wave():
    source = NEEDS % {"wave": ""}
    # Only the log4j ConfigMap and the snapshot move, to wave 1; all the rest stays in wave 0,
    # where Argo CD applies Secrets, ConfigMaps, RBAC before the custom resources.
    assert run_waves(source) == expect(_with_waves(source, {"flink-config-billing": "1",
                                                           "billing-before-upgrade": "1"}))


def test_a_deployment_the_user_put_earlier_pulls_what_it_needs_along():
    source = NEEDS.replace("metadata: {name: billing%(wave)s}",
                           'metadata: {name: billing, annotations: {argocd.argoproj.io/sync-wave: "-2"}}')
    needed = ["billing-flink", "billing-s3", "billing-db-password", "billing-registry", "billing-hadoop",
              "billing-tls", "billing-env"]
    # The Role and the RoleBinding are named billing-flink too: _with_waves marks all three.
    expected = _with_waves(source, {n: "-2" for n in needed})
    # The ConfigMap and the snapshot already follow the deployment in wave 0: they stay. Nothing
    # names the KafkaTopic or billing-unnamed: they keep their wave too (that it is later than the
    # deployment is the user's choice, as it would be without the plugin).
    assert run_waves(source) == expect(expected)


def test_flink_2_nested_configuration_and_list_forms_name_dependencies_too():
    # Read as the operator flattens it: a key may be split at any dot (kubernetes.container: {image.pull-secrets}).
    text = """
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: job, annotations: {argocd.argoproj.io/sync-wave: "-1"}}
spec:
  flinkVersion: v2_0
  flinkConfiguration:
    kubernetes:
      secrets: {creds: /opt/creds}
      env.secretKeyRef: ["env:TOKEN,secret:token,key:t"]
    kubernetes.container:
      image.pull-secrets: [pull-a, "pull-b"]
  job: {jarURI: local:///x.jar}
"""
    deps = "".join(f"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: {n}}}\n"
                   for n in ("creds", "token", "pull-a", "pull-b", "unrelated"))
    out = run_waves(text + deps)
    waves = {o["metadata"]["name"]: (o["metadata"].get("annotations") or {}).get(WAVE) for o in out}
    assert waves == {"job": "-1", "creds": "-1", "token": "-1", "pull-a": "-1", "pull-b": "-1", "unrelated": None}


def test_flink_configuration_references_name_the_field():
    source = NEEDS.replace("metadata: {name: billing%(wave)s}",
                           'metadata: {name: billing, annotations: {argocd.argoproj.io/sync-wave: "0"}}')
    source = source.replace("metadata: {name: billing-db-password}",
                            'metadata: {name: billing-db-password, annotations: {argocd.argoproj.io/sync-wave: "2"}}')
    with pytest.raises(UserError) as err:
        run_waves(source)
    assert str(err.value) == (
        "app.yaml (document 5): Secret billing-db-password: metadata.annotations[argocd.argoproj.io/sync-wave]: "
        "sync wave 2 is not at or before wave 0 of FlinkDeployment apps/billing: it must sync needed by "
        "FlinkDeployment apps/billing (spec.flinkConfiguration[kubernetes.env.secretKeyRef]); the pods cannot "
        "start and the sync waits forever (fix: change or remove metadata.annotations[argocd.argoproj.io/sync-wave] "
        "on one of them)")


def test_example_app_dependencies_never_after_the_deployment():
    waves = waves_of(assign_sync_waves(load(EXAMPLE), ctx()))
    fd = waves["FlinkDeployment/orders-pipeline"]
    assert fd is None  # the default wave 0, not written
    for dep in ("ServiceAccount/flink", "Secret/registry-credentials", "Secret/orders-pipeline-s3",
                "PersistentVolumeClaim/orders-pipeline-rocksdb", "RoleBinding/flink-role-binding", "Role/flink"):
        # Same wave: Argo CD applies these kinds before custom resources inside a wave, and a
        # WaitForFirstConsumer PVC in an earlier wave would stay Pending and block the sync.
        assert waves[dep] is None, dep
    assert waves["ConfigMap/flink-config-orders-pipeline"] == 1
    assert waves["FlinkSessionJob/clickstream-sessionizer"] == 1
    assert waves["FlinkStateSnapshot/orders-pipeline-before-1-5"] == 1


def test_all_three_pod_template_levels_env_envfrom_projected_pull_secrets():
    objs = load(APPS / "podtemplate-deps")
    needed = ["ServiceAccount/billing-flink", "Secret/billing-pull", "ConfigMap/billing-env",
              "PersistentVolumeClaim/billing-checkpoints", "Secret/billing-rules-token", "Secret/billing-tls",
              "ConfigMap/billing-ca"]
    waves = waves_of(assign_sync_waves(objs, ctx()))
    assert {name: waves[name] for name in ["FlinkDeployment/billing"] + needed} == \
        dict.fromkeys(["FlinkDeployment/billing"] + needed)  # all in wave 0, nothing written
    # The user puts the deployment in wave -2: everything its pods need comes along.
    objs = [set_annotation(loc, WAVE, "-2") if loc.obj["kind"] == "FlinkDeployment" else loc for loc in objs]
    waves = waves_of(assign_sync_waves(objs, ctx()))
    for name in needed:
        assert waves[name] == -2, name
    # An optional reference does not block pods; an unrelated ConfigMap is not touched at all.
    assert waves["Secret/billing-optional"] is None
    assert waves["ConfigMap/unrelated-dashboard"] is None


def test_session_jobs_and_snapshot_of_a_session_job():
    waves = waves_of(assign_sync_waves(load(APPS / "session-mode"), ctx()))
    assert waves["FlinkDeployment/adhoc-session"] is None  # the session cluster keeps wave 0
    assert waves["FlinkSessionJob/top-speed-windowing"] == 1
    assert waves["FlinkSessionJob/state-machine"] == 1
    assert waves["FlinkStateSnapshot/state-machine-checkpoint"] == 2  # after the session job it snapshots


def test_user_waves_are_kept_and_taken_into_account():
    out = assign_sync_waves(load(APPS / "user-waves"), ctx())
    waves = waves_of(out)
    assert waves["Secret/kafka-credentials"] == -5  # the user's, unchanged
    assert waves["ConfigMap/flink-config-payments"] == 3  # the user's, unchanged
    assert waves["FlinkDeployment/payments"] is None  # wave 0: before the user's ConfigMap, after the Secret
    assert waves["ServiceAccount/flink"] is None


def test_user_wave_pushes_dependents_later():
    objs = [
        Located({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "flink", "annotations": {WAVE: "4"}}}, "a.yaml", 1),
        Located(fd("job", sa="flink"), "a.yaml", 2),
        Located(cm("flink-config-job"), "a.yaml", 3),
    ]
    waves = waves_of(assign_sync_waves(objs, ctx()))
    assert waves == {"ServiceAccount/flink": 4, "FlinkDeployment/job": 4, "ConfigMap/flink-config-job": 5}


def test_user_waves_that_would_hang_the_sync_are_an_error_naming_both():
    objs = [
        Located({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "flink", "annotations": {WAVE: "2"}}}, "sa.yaml", 1),
        Located(fd("job", sa="flink", wave="1"), "fd.yaml", 1),
    ]
    with pytest.raises(UserError) as err:
        assign_sync_waves(objs, ctx())
    text = str(err.value)
    assert "sa.yaml (document 1): ServiceAccount flink" in text
    assert "FlinkDeployment apps/job" in text and "waits forever" in text
    assert f"metadata.annotations[{WAVE}]" in text


def test_user_waves_that_only_misorder_the_log_configmap_warn():
    objs = [Located(fd("job", wave="0"), "a.yaml", 1), Located(cm("flink-config-job", wave="0"), "a.yaml", 2)]
    c = ctx()
    out = assign_sync_waves(objs, c)
    assert waves_of(out) == {"FlinkDeployment/job": 0, "ConfigMap/flink-config-job": 0}
    assert any(w.startswith("a.yaml (document 1): FlinkDeployment job") and "ConfigMap apps/flink-config-job" in w
               for w in c.warnings)


def test_a_wave_that_is_not_an_integer_is_an_error():
    objs = [Located(fd("job", wave="first"), "fd.yaml", 1)]
    with pytest.raises(UserError, match=r"fd.yaml \(document 1\): FlinkDeployment job: .*'first' is not an"):
        assign_sync_waves(objs, ctx())


def test_optional_volumes_do_not_order():
    dep = fd("job")
    dep["spec"]["podTemplate"] = {"spec": {"volumes": [
        {"name": "a", "secret": {"secretName": "maybe", "optional": True}},
        {"name": "b", "projected": {"sources": [{"configMap": {"name": "extra", "optional": True}},
                                                {"secret": {"name": "needed"}}]}}]}}
    objs = [Located(dep, "a", 1)] + [
        Located({"apiVersion": "v1", "kind": k, "metadata": {"name": n}}, "a", i + 2)
        for i, (k, n) in enumerate([("Secret", "maybe"), ("ConfigMap", "extra"), ("Secret", "needed")])]
    waves = waves_of(assign_sync_waves(objs, ctx()))
    assert waves == {"FlinkDeployment/job": None, "Secret/maybe": None, "ConfigMap/extra": None, "Secret/needed": None}
    dep["metadata"]["annotations"] = {WAVE: "-1"}
    waves = waves_of(assign_sync_waves(objs, ctx()))
    assert waves == {"FlinkDeployment/job": -1, "Secret/maybe": None, "ConfigMap/extra": None, "Secret/needed": -1}


def test_hooks_are_not_ordered_by_waves():
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "token", "annotations": {"argocd.argoproj.io/hook": "PreSync", WAVE: "5"}}}
    objs = [Located(fd("job", secrets=["token"]), "a", 1), Located(secret, "a", 2)]
    c = ctx()
    # A PreSync hook runs before the whole Sync phase: its wave 5 does not delay the deployment.
    assert waves_of(assign_sync_waves(objs, c)) == {"FlinkDeployment/job": None, "Secret/token": 5}
    assert c.warnings == []


def test_mounting_the_operators_own_configmap_is_not_a_cycle():
    dep = fd("job")
    dep["spec"]["podTemplate"] = {"spec": {"volumes": [{"name": "c", "configMap": {"name": "flink-config-job"}}]}}
    waves = waves_of(assign_sync_waves([Located(dep, "a", 1), Located(cm("flink-config-job"), "a", 2)], ctx()))
    assert waves == {"FlinkDeployment/job": None, "ConfigMap/flink-config-job": 1}


def test_objects_without_namespace_are_in_the_app_namespace():
    same = cm("flink-config-job")
    same["metadata"]["namespace"] = "apps"  # ctx() renders for app namespace "apps"
    objs = [Located(fd("job"), "a", 1), Located(same, "a", 2)]
    assert waves_of(assign_sync_waves(objs, ctx())) == {"FlinkDeployment/job": None, "ConfigMap/flink-config-job": 1}


def test_namespaces_separate_objects_with_the_same_name():
    other = cm("flink-config-job")
    other["metadata"]["namespace"] = "elsewhere"
    objs = [Located(fd("job"), "a", 1), Located(other, "a", 2)]
    assert waves_of(assign_sync_waves(objs, ctx())) == {"FlinkDeployment/job": None, "ConfigMap/flink-config-job": None}


def test_explain_lists_every_placed_object():
    c = ctx(explain="true")
    assign_sync_waves(load(EXAMPLE), c)
    plan = "\n".join(c.plan)
    lines = plan.replace("apps/", "").splitlines()
    assert "  wave   0 stays  FlinkDeployment orders-pipeline: before its log4j ConfigMap flink-config-orders-pipeline; " \
           "before FlinkStateSnapshot orders-pipeline-before-1-5, which snapshots it" in lines
    assert "  wave   0 stays  Secret registry-credentials: needed by FlinkDeployment orders-pipeline " \
           "(spec.podTemplate.spec.imagePullSecrets[0].name)" in lines
    assert "  wave   1 placed ConfigMap flink-config-orders-pipeline: after FlinkDeployment orders-pipeline: the " \
           "operator writes this ConfigMap when it creates the JobManager; applied later, your log configuration " \
           "replaces it (until the next JobManager deployment writes it again)" in lines
    assert "adopt" not in plan  # the operator adopts nothing: it writes the ConfigMap again at every deployment
    assert lines[-1].startswith("  log4j ConfigMaps (log4j-strategy=configmap): hot reload without a restart, but at "
                                "every JobManager deployment (upgrade, restart, resume) the operator writes")
    assert lines[-1].endswith("log4j-strategy=inline (spec.logConfiguration) has no such fight, but a log change "
                              "restarts the job")
    session_only = ctx(explain="true")
    assign_sync_waves(load(APPS / "session-mode"), session_only)
    assert not any("log4j ConfigMaps" in line for line in session_only.plan)  # only where one is ordered
    quiet = ctx()
    assign_sync_waves(load(EXAMPLE), quiet)
    assert quiet.plan == []  # only when asked for


# --- properties ------------------------------------------------------------------------------

def fd(name: str, sa: str | None = None, secrets=(), wave: str | None = None) -> dict:
    meta: dict = {"name": name}
    if wave is not None:
        meta["annotations"] = {WAVE: wave}
    spec: dict = {"flinkVersion": "v1_20", "job": {"jarURI": "local:///x.jar", "parallelism": 1}}
    if sa:
        spec["serviceAccount"] = sa
    if secrets:
        spec["podTemplate"] = {"spec": {"containers": [
            {"name": "flink-main-container", "envFrom": [{"secretRef": {"name": s}} for s in secrets]}]}}
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": meta, "spec": spec}


def cm(name: str, wave: str | None = None) -> dict:
    meta: dict = {"name": name}
    if wave is not None:
        meta["annotations"] = {WAVE: wave}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"log4j-console.properties": "x=1"}}


CONF_FORMS = [("kubernetes.secrets", "{}:/opt/secret"),
              ("kubernetes.env.secretKeyRef", "env:TOKEN,secret:{},key:token"),
              ("kubernetes.container.image.pull-secrets", "{}")]
FOLLOWERS = ("ConfigMap", "FlinkSessionJob", "FlinkStateSnapshot")  # all the plan ever moves later


@st.composite
def apps(draw, pins: bool):
    n_fd = draw(st.integers(1, 4))
    objs: list[dict] = []
    sas = [f"sa{i}" for i in range(draw(st.integers(0, 2)))]
    secrets = [f"secret{i}" for i in range(draw(st.integers(0, 3)))]
    for name in sas:
        objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
    for name in secrets:
        objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}})
    # Unrelated objects: nothing names them, so nothing may move them.
    objs.append({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic", "metadata": {"name": "events"}})
    objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "unrelated"}})
    for i in range(n_fd):
        dep = fd(f"fd{i}", draw(st.sampled_from([None, *sas])),
                 draw(st.lists(st.sampled_from(secrets), max_size=2, unique=True)) if secrets else ())
        if secrets and draw(st.booleans()):  # a Secret named only in flinkConfiguration
            key, form = draw(st.sampled_from(CONF_FORMS))
            dep["spec"]["flinkConfiguration"] = {key: form.format(draw(st.sampled_from(secrets)))}
        objs.append(dep)
        if draw(st.booleans()):
            objs.append(cm(f"flink-config-fd{i}"))
    jobs = []
    for j in range(draw(st.integers(0, 3))):
        jobs.append(f"job{j}")
        objs.append({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
                     "metadata": {"name": f"job{j}"},
                     "spec": {"deploymentName": f"fd{draw(st.integers(0, n_fd - 1))}"}})
    for k in range(draw(st.integers(0, 2))):
        target = draw(st.sampled_from([("FlinkDeployment", f"fd{i}") for i in range(n_fd)] +
                                      [("FlinkSessionJob", j) for j in jobs]))
        objs.append({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkStateSnapshot",
                     "metadata": {"name": f"snap{k}"},
                     "spec": {"jobReference": {"kind": target[0], "name": target[1]}, "checkpoint": {}}})
    objs = draw(st.permutations(objs))
    if pins:
        for obj in objs:
            if draw(st.integers(0, 3)) == 0:
                obj["metadata"].setdefault("annotations", {})[WAVE] = str(draw(st.integers(-3, 3)))
    return [Located(o, "gen.yaml", i + 1) for i, o in enumerate(objs)]


def check_constraints(objs, c):
    waves = {i: int(loc.obj["metadata"].get("annotations", {}).get(WAVE, 0)) for i, loc in enumerate(objs)}
    broken_soft = 0
    for e in wave_constraints(objs, c):
        if waves[e.after] < waves[e.before] + e.gap:
            assert not e.hangs, "a dependency in a later wave than what needs it"
            broken_soft += 1
    return broken_soft


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(apps(pins=False))
def test_property_without_user_waves_every_constraint_holds(objs):
    c = ctx()
    out = assign_sync_waves(objs, c)
    assert check_constraints(out, c) == 0
    assert c.warnings == []
    written = {(loc.obj["kind"], loc.obj["metadata"]["name"]): int(loc.obj["metadata"]["annotations"][WAVE])
               for loc in out if WAVE in (loc.obj["metadata"].get("annotations") or {})}
    # FlinkDeployments, what they need and unrelated objects keep the default wave 0: nothing is
    # written on them. Only followers move, each exactly one wave after what it follows.
    assert all(kind in FOLLOWERS for kind, _ in written), written
    waves = {i: int((loc.obj["metadata"].get("annotations") or {}).get(WAVE, 0)) for i, loc in enumerate(out)}
    needed: dict[int, int] = {}
    for e in wave_constraints(out, c):
        needed[e.after] = max(needed.get(e.after, 0), waves[e.before] + e.gap)
    assert all(waves[i] == w for i, w in needed.items())  # no later than it must be


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(apps(pins=True))
def test_property_user_waves_kept_no_hang_idempotent_input_untouched(objs):
    before = copy.deepcopy([loc.obj for loc in objs])
    pins = {i: int(o["metadata"]["annotations"][WAVE]) for i, o in enumerate(before)
            if WAVE in (o["metadata"].get("annotations") or {})}
    # Only a dependency the user put in a later wave than the deployment the user also placed
    # cannot be fixed without changing a user wave: that, and only that, is an error.
    hopeless = [e for e in wave_constraints(objs, ctx())
                if e.hangs and e.before in pins and e.after in pins and pins[e.before] > pins[e.after]]
    c = ctx()
    try:
        out = assign_sync_waves(objs, c)
    except UserError as exc:
        assert hopeless
        assert len(exc.problems) == len(hopeless)
        assert all("waits forever" in str(p) for p in exc.problems)
        return
    finally:
        assert [loc.obj for loc in objs] == before  # a pure step: the input is not edited
    assert not hopeless
    for old, new in zip(before, out):
        if old["kind"] in ("KafkaTopic",) or old["metadata"]["name"] == "unrelated":
            assert new.obj == old  # never moved
        if old["kind"] == "FlinkDeployment" and WAVE not in (old["metadata"].get("annotations") or {}):
            # A deployment is never placed earlier than the default wave; later only behind a
            # dependency the user put later.
            assert int(new.obj["metadata"].get("annotations", {}).get(WAVE, 0)) >= 0
    # Every soft (non-hanging) violation was reported.
    assert check_constraints(out, c) <= len(c.warnings)
    for old, new in zip(before, out):
        old_wave = (old["metadata"].get("annotations") or {}).get(WAVE)
        if old_wave is not None:
            assert new.obj["metadata"]["annotations"][WAVE] == old_wave
    again = assign_sync_waves(out, ctx())
    assert [loc.obj for loc in again] == [loc.obj for loc in out]


def test_blue_green_deployment_dependencies_of_its_template_never_after_it():
    # The blue and green FlinkDeployments the operator creates run spec.template.spec; a user wave
    # pins the blue/green deployment, so its service account and secret must come no later.
    bg = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkBlueGreenDeployment",
          "metadata": {"name": "payments", "annotations": {WAVE: "2"}},
          "spec": {"template": {"spec": {
              "serviceAccount": "payments-flink", "flinkVersion": "v1_20",
              "podTemplate": {"spec": {"containers": [{"name": "flink-main-container",
                                                        "envFrom": [{"secretRef": {"name": "payments-kafka"}}]}]}},
              "job": {"jarURI": "local:///opt/flink/usrlib/payments.jar", "upgradeMode": "savepoint"}}}}}
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "payments-flink"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "payments-kafka", "annotations": {WAVE: "5"}}}
    objs = [Located(o, "bg.yaml", i + 1) for i, o in enumerate((bg, sa))]
    waves = waves_of(assign_sync_waves(objs, ctx()))
    assert waves["FlinkBlueGreenDeployment/payments"] == 2  # the user's, unchanged
    assert waves["ServiceAccount/payments-flink"] is None  # wave 0: before the deployment's 2, left alone
    bg["metadata"]["annotations"][WAVE] = "-3"
    assert waves_of(assign_sync_waves(objs, ctx()))["ServiceAccount/payments-flink"] == -3  # pulled along
    bg["metadata"]["annotations"][WAVE] = "2"
    late = objs + [Located(secret, "bg.yaml", 3)]
    with pytest.raises(UserError) as err:
        assign_sync_waves(late, ctx())
    assert "spec.template.spec.podTemplate.spec.containers[0].envFrom[0].secretRef.name" in str(err.value)
