"""Parameters: Argo CD's ways of passing them, their precedence, and plugin.yaml announcing them all."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flink_gitops.errors import UserError
from flink_gitops.quantities import parse_size
from flink_gitops.render import params as P
from flink_gitops.render.api import collect_params

ROOT = Path(__file__).resolve().parents[1]


def test_plugin_yaml_announces_every_parameter_with_the_default_the_plugin_applies():
    spec = yaml.safe_load((ROOT / "plugin" / "plugin.yaml").read_text())["spec"]
    announced = {a["name"]: a for a in spec["parameters"]["static"]}
    assert list(announced) == [p.name for p in P.PARAMETERS]
    for p in P.PARAMETERS:
        a = announced[p.name]
        if p.kind == "array":
            assert a["collectionType"] == "array" and tuple(a["array"]) == p.default
        else:
            assert a["string"] == p.default, p.name
        if p.kind == "boolean":
            assert a["itemType"] == "boolean"
        assert a["title"] == p.title and a["tooltip"] == p.tooltip


def test_plugin_yaml_is_a_config_management_plugin_argocd_cmp_server_accepts():
    doc = yaml.safe_load((ROOT / "plugin" / "plugin.yaml").read_text())
    # cmpserver/plugin/config.go ValidatePluginConfig: name, kind, a generate command.
    assert doc["apiVersion"] == "argoproj.io/v1alpha1" and doc["kind"] == "ConfigManagementPlugin"
    assert doc["metadata"]["name"]
    assert doc["spec"]["generate"]["command"][0] == "flink-gitops"
    assert "discover" not in doc["spec"]  # apps opt in by name: installing it takes over no app


def test_no_parameters_means_the_defaults():
    assert collect_params(None, {}, [], False) == P.defaults()


def test_precedence_env_then_parameters_then_cli(tmp_path):
    (tmp_path / "flink-gitops.yaml").write_text("parameters:\n  log4j-strategy: inline\n  explain: true\n"
                                                "  sync-waves: 'false'\n  allow-empty: 'true'\n")
    env = {
        "ARGOCD_ENV_SYNC_WAVES": "true",  # beats the app file
        "ARGOCD_ENV_ALLOW_EMPTY": "no",
        "ARGOCD_APP_PARAMETERS": '[{"name": "allow-empty", "string": "yes"}, '
                                 '{"name": "values-files", "array": ["a.yaml", "b.yaml"]}]',
    }
    got = collect_params(str(tmp_path), env, ["values-files=c.yaml"], False)
    assert got["log4j-strategy"] == "inline"  # app file
    assert got["explain"] == "true"  # app file, YAML boolean accepted
    assert got["sync-waves"] == "true"  # ARGOCD_ENV_ over the app file
    assert got["allow-empty"] == "true"  # ARGOCD_APP_PARAMETERS over ARGOCD_ENV_
    assert got["values-files"] == ("c.yaml",)  # --param over everything


def test_param_env_vars_as_argocd_escapes_them():
    # types.go: PARAM_ + upper case, every char outside [A-Z0-9_] becomes _; arrays as _0, _1.
    env = {"PARAM_LOG4J_STRATEGY": "inline", "PARAM_VALUES_FILES_0": "v1.yaml", "PARAM_VALUES_FILES_1": "v2.yaml",
           "PARAM_SOMETHING_ELSE": "ignored: the sidecar's own environment may hold anything"}
    got = collect_params(None, env, [], False)
    assert got["log4j-strategy"] == "inline" and got["values-files"] == ("v1.yaml", "v2.yaml")


def test_argocd_app_parameters_is_authoritative_over_param_vars():
    env = {"ARGOCD_APP_PARAMETERS": '[{"name": "validate", "string": "false"}]', "PARAM_VALIDATE": "true"}
    assert collect_params(None, env, [], False)["validate"] == "false"


@pytest.mark.parametrize("env, cli, message", [
    ({"ARGOCD_APP_PARAMETERS": '[{"name": "log4j-stratgy", "string": "inline"}]'}, [],
     "ARGOCD_APP_PARAMETERS: unknown parameter 'log4j-stratgy' (did you mean log4j-strategy?) (fix: known "
     "parameters: source, "),
    ({}, ["validate-stict=true"], "--param: unknown parameter 'validate-stict' (did you mean validate-strict?)"),
    ({}, ["ARGOCD_ENV_VALIDATE=false"], "--param: unknown parameter 'ARGOCD_ENV_VALIDATE' (fix: known parameters: "),
    ({"ARGOCD_APP_PARAMETERS": "[{"}, [], "ARGOCD_APP_PARAMETERS: not valid JSON"),
    ({"ARGOCD_APP_PARAMETERS": '[{"name": "sync-waves", "map": {"a": "b"}}]'}, [],
     "parameter 'sync-waves' is a map"),
    ({"PARAM_SYNC_WAVES": "maybe"}, [], "PARAM_SYNC_WAVES: parameter 'sync-waves' must be true or false, got 'maybe'"),
    ({}, ["log4j-strategy=sidecar"], "--param: parameter 'log4j-strategy' must be one of configmap, inline"),
    ({}, ["max-file-size=huge"], "'huge' is not a size"),
    ({}, ["explain"], "--param 'explain': expected NAME=VALUE"),
])
def test_bad_parameters_are_clear_errors(env, cli, message):
    with pytest.raises(UserError) as err:
        collect_params(None, env, cli, False)
    assert message in str(err.value)


def test_bad_app_config_file_names_the_file(tmp_path):
    (tmp_path / "flink-gitops.yaml").write_text("log4j-strategy: inline\n")
    with pytest.raises(UserError, match="flink-gitops.yaml: expected a mapping with one key, parameters"):
        collect_params(str(tmp_path), {}, [], False)


def test_sizes():
    def size(text):
        return parse_size(text, "parameter max-file-size")

    assert size("16Mi") == 16 << 20 and size("512Ki") == 512 << 10 and size("100") == 100


def test_docs_list_every_parameter_with_its_default():
    text = (ROOT / "docs" / "plugin.md").read_text()
    for p in P.PARAMETERS:
        default = "[]" if p.kind == "array" else ('""' if p.default == "" else p.default)
        assert f"| `{p.name}` | `{default}` |" in text, p.name


def test_an_empty_plugin_env_entry_means_unset_as_on_argo_cd_2():
    # Argo CD 3.0 passes `env: [{name: VALIDATE, value: ''}]` as ARGOCD_ENV_VALIDATE=""; 2.x left it out.
    env = {"ARGOCD_ENV_VALIDATE": "", "ARGOCD_ENV_LOG4J_STRATEGY": "", "ARGOCD_ENV_VALUES_FILES": "",
           "ARGOCD_ENV_OPERATOR_VERSION": ""}
    assert collect_params(None, env, [], False) == P.defaults()
    # A parameter set to empty on purpose is still checked (Argo CD sends what the user typed).
    with pytest.raises(UserError, match="PARAM_VALIDATE: parameter 'validate' must be true or false, got ''"):
        collect_params(None, {"PARAM_VALIDATE": ""}, [], False)
