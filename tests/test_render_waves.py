"""Sync waves: what Argo CD will do with the order the plugin writes."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from flink_gitops.errors import Located, UserError
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext
from flink_gitops.render.sources import load_directory
from flink_gitops.render.waves import assign_sync_waves, wave_constraints

APPS = Path(__file__).parent / "fixtures" / "apps"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "app"
WAVE = "argocd.argoproj.io/sync-wave"


def ctx(**params) -> RenderContext:
    merged = {**P.defaults(), **params}
    return RenderContext(params=merged, app_dir=None, repo_root=None, namespace="apps")


def waves_of(objs: list[Located]) -> dict[str, int | None]:
    out = {}
    for loc in objs:
        ann = (loc.obj.get("metadata") or {}).get("annotations") or {}
        out[f"{loc.obj['kind']}/{loc.obj['metadata']['name']}"] = int(ann[WAVE]) if WAVE in ann else None
    return out


def load(app: Path) -> list[Located]:
    return load_directory(str(app), ctx())


def test_the_example_flinkdeployment_syncs_before_its_log4j_configmap():
    waves = waves_of(assign_sync_waves(load(EXAMPLE), ctx()))
    # The operator adopts a flink-config-<name> ConfigMap that appears after the deployment.
    assert waves["FlinkDeployment/orders-pipeline"] == -1
    assert waves["ConfigMap/flink-config-orders-pipeline"] == 0


def test_example_app_dependencies_never_after_the_deployment():
    waves = waves_of(assign_sync_waves(load(EXAMPLE), ctx()))
    fd = waves["FlinkDeployment/orders-pipeline"]
    for dep in ("ServiceAccount/flink", "Secret/registry-credentials", "Secret/orders-pipeline-s3",
                "PersistentVolumeClaim/orders-pipeline-rocksdb", "RoleBinding/flink-role-binding", "Role/flink"):
        # Same wave: Argo CD applies these kinds before custom resources inside a wave, and a
        # WaitForFirstConsumer PVC in an earlier wave would stay Pending and block the sync.
        assert waves[dep] == fd, dep
    assert waves["FlinkSessionJob/clickstream-sessionizer"] > waves["FlinkDeployment/analytics-session"]
    assert waves["FlinkStateSnapshot/orders-pipeline-before-1-5"] > fd


def test_all_three_pod_template_levels_env_envfrom_projected_pull_secrets():
    objs = load(APPS / "podtemplate-deps")
    waves = waves_of(assign_sync_waves(objs, ctx()))
    fd = waves["FlinkDeployment/billing"]
    needed = ["ServiceAccount/billing-flink", "Secret/billing-pull", "ConfigMap/billing-env",
              "PersistentVolumeClaim/billing-checkpoints", "Secret/billing-rules-token", "Secret/billing-tls",
              "ConfigMap/billing-ca"]
    for name in needed:
        assert waves[name] is not None and waves[name] <= fd, name
    # An optional reference does not block pods; an unrelated ConfigMap is not touched at all.
    assert waves["Secret/billing-optional"] is None
    assert waves["ConfigMap/unrelated-dashboard"] is None


def test_session_jobs_and_snapshot_of_a_session_job():
    waves = waves_of(assign_sync_waves(load(APPS / "session-mode"), ctx()))
    cluster = waves["FlinkDeployment/adhoc-session"]
    assert waves["FlinkSessionJob/top-speed-windowing"] > cluster
    assert waves["FlinkSessionJob/state-machine"] > cluster
    assert waves["FlinkStateSnapshot/state-machine-checkpoint"] > waves["FlinkSessionJob/state-machine"]
    assert max(w for w in waves.values() if w is not None) == 0  # as close to the default wave as possible


def test_user_waves_are_kept_and_taken_into_account():
    out = assign_sync_waves(load(APPS / "user-waves"), ctx())
    waves = waves_of(out)
    assert waves["Secret/kafka-credentials"] == -5  # the user's, unchanged
    assert waves["ConfigMap/flink-config-payments"] == 3  # the user's, unchanged
    assert waves["FlinkDeployment/payments"] < 3
    assert waves["Secret/kafka-credentials"] <= waves["FlinkDeployment/payments"]
    assert waves["ServiceAccount/flink"] <= waves["FlinkDeployment/payments"]


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
    assert waves == {"FlinkDeployment/job": 0, "Secret/maybe": None, "ConfigMap/extra": None, "Secret/needed": 0}


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
    assert waves["FlinkDeployment/job"] < waves["ConfigMap/flink-config-job"]


def test_objects_without_namespace_are_in_the_app_namespace():
    same = cm("flink-config-job")
    same["metadata"]["namespace"] = "apps"  # ctx() renders for app namespace "apps"
    objs = [Located(fd("job"), "a", 1), Located(same, "a", 2)]
    assert waves_of(assign_sync_waves(objs, ctx())) == {"FlinkDeployment/job": -1, "ConfigMap/flink-config-job": 0}


def test_namespaces_separate_objects_with_the_same_name():
    other = cm("flink-config-job")
    other["metadata"]["namespace"] = "elsewhere"
    objs = [Located(fd("job"), "a", 1), Located(other, "a", 2)]
    assert waves_of(assign_sync_waves(objs, ctx())) == {"FlinkDeployment/job": None, "ConfigMap/flink-config-job": None}


def test_explain_lists_every_placed_object():
    c = ctx(explain="true")
    assign_sync_waves(load(EXAMPLE), c)
    plan = "\n".join(c.plan)
    assert "wave  -1 placed FlinkDeployment orders-pipeline" in plan.replace("apps/", "")
    assert "so the operator adopts this ConfigMap" in plan
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
    for i in range(n_fd):
        objs.append(fd(f"fd{i}", draw(st.sampled_from([None, *sas])),
                       draw(st.lists(st.sampled_from(secrets), max_size=2, unique=True)) if secrets else ()))
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
    placed = [int(loc.obj["metadata"]["annotations"][WAVE]) for loc in out
              if WAVE in (loc.obj["metadata"].get("annotations") or {})]
    assert not placed or max(placed) == 0  # nothing is pushed after the default wave without a reason


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
    assert waves["ServiceAccount/payments-flink"] is not None and waves["ServiceAccount/payments-flink"] <= 2
    late = objs + [Located(secret, "bg.yaml", 3)]
    with pytest.raises(UserError) as err:
        assign_sync_waves(late, ctx())
    assert "spec.template.spec.podTemplate.spec.containers[0].envFrom[0].secretRef.name" in str(err.value)
