"""Odd shapes never crash the render: a user error is a clean error, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import yaml

from flink_gitops.errors import UserError
from flink_gitops.manifests import objects_from_text
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext
from flink_gitops.render.pipeline import run_pipeline

pytestmark = pytest.mark.slow

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["", "flink", "job", "flink-config-job", "true", "-1", "x=1", "<xml/>", "rootLogger.level=INFO", "/status"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["name", "kind", "spec", "podTemplate", "volumes", "secret", "secretName",
                                     "configMap", "env", "envFrom", "containers", "serviceAccount", "job",
                                     "deploymentName", "jobReference", "logConfiguration", "flinkConfiguration",
                                     "log4j-console.properties", "source", "sources", "repoURL", "path",
                                     "ignoreDifferences", "syncPolicy", "syncOptions", "scaleTargetRef",
                                     "subjects", "roleRef", "data", "annotations", "metadata", "template"]),
                    inner, max_size=4)), max_leaves=12)
KINDS = st.sampled_from([
    ("flink.apache.org/v1beta1", "FlinkDeployment"), ("flink.apache.org/v1beta1", "FlinkSessionJob"),
    ("flink.apache.org/v1beta1", "FlinkStateSnapshot"), ("v1", "ConfigMap"), ("v1", "ServiceAccount"),
    ("v1", "Secret"), ("argoproj.io/v1alpha1", "Application"), ("argoproj.io/v1alpha1", "ApplicationSet"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("rbac.authorization.k8s.io/v1", "RoleBinding")])


@st.composite
def objects(draw):
    api, kind = draw(KINDS)
    meta = {"name": draw(st.sampled_from(["job", "flink", "flink-config-job", "app"]))}
    if draw(st.booleans()):
        meta["annotations"] = draw(st.one_of(VALUES, st.dictionaries(
            st.sampled_from(["argocd.argoproj.io/sync-wave", "configmap.reloader.stakater.com/reload",
                             "kubectl.kubernetes.io/last-applied-configuration"]), SCALARS, max_size=2)))
    if draw(st.booleans()):
        meta["namespace"] = draw(st.sampled_from(["a", "b"]))
    obj = {"apiVersion": api, "kind": kind, "metadata": meta}
    for key in draw(st.lists(st.sampled_from(["spec", "data", "status", "subjects", "roleRef"]), max_size=3,
                             unique=True)):
        obj[key] = draw(VALUES)
    return obj


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(objects(), min_size=1, max_size=6), st.sampled_from(["configmap", "inline"]))
def test_property_odd_shapes_give_output_or_a_user_error(objs, strategy):
    ctx = RenderContext(params={**P.defaults(), "log4j-strategy": strategy, "explain": "true"},
                        app_dir=None, repo_root=None, namespace="a")
    try:  # through the loader, as from a file: what it refuses never reaches the steps
        out = run_pipeline(objects_from_text(yaml.safe_dump_all(objs), "fuzz.yaml"), ctx)
    except UserError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    assert all(isinstance(loc.obj, dict) for loc in out)
