"""argocd-cm's ``resource.links``: deep links from Flink resources to the Flink web UI and the health service.

Argo CD evaluates a link's ``if`` with expr-lang/expr and its ``url`` as a Go text/template with sprig
(server/deeplinks/deeplinks.go). Neither exists in Python, so the links are run in Go itself:
tools/deep-links-check, built from Debian's Go, sprig and expr packages (older than Argo CD's, see its
README); without them those tests skip and say so. The structure of the generated config is checked always,
and the web UI URL is compared with the operator's own substitution, re-implemented here from
IngressUtils.getIngressUrl.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml

from flink_gitops.argocd.bundle import argocd_cm_data
from flink_gitops.argocd.links import resource_links
from tests.helpers import run_cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOPATH = ROOT / ".gopath"
CHECKER = GOPATH / "deep-links-check"
HEALTH = "https://flink-health.example.com"


# -- the generated config --------------------------------------------------------------------------


def committed_links() -> list[dict]:
    cm = yaml.safe_load((ROOT / "argocd" / "argocd-cm.yaml").read_text())
    return yaml.safe_load(cm["data"]["resource.links"])


def test_the_committed_bundle_links_to_the_web_ui_only():
    links = committed_links()
    assert [link["title"] for link in links] == ["Flink web UI"]
    for link in links:  # util/settings DeepLink: url, title, description, icon.class, if
        assert set(link) == {"title", "url", "description", "icon.class", "if"}
        assert all(isinstance(v, str) and v for v in link.values())


def test_a_health_service_url_adds_the_dashboard_link_in_argocd_cm_and_helm_values(tmp_path):
    code, out, err = run_cli("generate", "argocd-cm", "--health-service-url", HEALTH + "/")
    assert code == 0, err
    links = yaml.safe_load(yaml.safe_load(out)["data"]["resource.links"])
    assert [link["title"] for link in links] == ["Flink web UI", "Flink health"]
    assert links[1]["url"].startswith(HEALTH + "/#namespace=")  # the trailing slash given is not doubled
    code, _, err = run_cli("generate", "bundle", "--root", str(_checkout_copy(tmp_path)), "--health-service-url",
                           HEALTH)
    assert code == 0, err
    values = yaml.safe_load((tmp_path / "repo" / "argocd" / "helm-values.yaml").read_text())
    assert values["configs"]["cm"]["resource.links"] == argocd_cm_data(HEALTH)["resource.links"]


def _checkout_copy(tmp_path: pathlib.Path) -> pathlib.Path:
    repo = tmp_path / "repo"
    (repo / "argocd").mkdir(parents=True)
    for name in ("repo-server-sidecar.yaml", "kustomization.yaml", "server-rbac.yaml"):
        shutil.copy(ROOT / "argocd" / name, repo / "argocd" / name)
    return repo


@pytest.mark.parametrize("url", ["flink-health.example.com", "https://x.example.com/{{ .resource }}",
                                 "https://x.example.com/a b", "javascript:alert(1)"])
def test_a_health_service_url_that_is_no_plain_http_url_is_refused(url):
    code, out, err = run_cli("generate", "argocd-cm", "--health-service-url", url)
    assert code == 2 and out == ""
    assert "--health-service-url: " in err and "is not an http(s) URL of the health service" in err


def test_health_service_url_only_goes_with_the_bundle():
    code, _, err = run_cli("generate", "lua", "--health-service-url", HEALTH)
    assert code == 2 and "--health-service-url goes with the bundle or argocd-cm targets" in err


# -- what Argo CD makes of them: the Go template and expression engines ---------------------------


def operator_ingress_url(template: str, name: str, namespace: str) -> tuple[str, str, str]:
    """IngressUtils.getIngressUrl: (scheme, host, path) of the URL the operator builds the Ingress rule from."""
    if not re.match(r"^https?://", template, re.I):
        template = "http://" + template
    template = re.sub(r"\{\{name\}\}", name, template, flags=re.I)
    template = re.sub(r"\{\{namespace\}\}", namespace, template, flags=re.I)
    url = urlsplit(template)
    return url.scheme, url.netloc, url.path


def flink(kind: str = "FlinkDeployment", ingress: dict | None = None, name: str = "advanced-ingress",
          namespace: str = "default") -> dict:
    spec: dict = {"image": "flink:1.20", "flinkVersion": "v1_20"}
    if ingress is not None:
        spec["ingress"] = ingress
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "uid": "u-1"}, "spec": spec}


@pytest.fixture(scope="module")
def evaluate():
    """``evaluate(links, resource)``: what Argo CD shows for ``resource``, link by link, in real Go."""
    go = shutil.which("go")
    sources = [pathlib.Path("/usr/share/gocode/src/github.com", p) for p in ("Masterminds/sprig", "antonmedv/expr")]
    if not go or not all(p.is_dir() for p in sources):
        pytest.skip("needs Debian's golang-go, golang-github-masterminds-sprig-dev and golang-github-antonmedv-expr-dev "
                    "(`make test` installs them when run as root); the link config's structure is tested without them")
    main = ROOT / "tools" / "deep-links-check" / "main.go"
    if not CHECKER.exists() or CHECKER.stat().st_mtime < main.stat().st_mtime:
        env = dict(os.environ, GO111MODULE="off", GOPATH=f"{GOPATH}:/usr/share/gocode", GOCACHE=str(GOPATH / "cache"))
        build = subprocess.run([go, "build", "-o", str(CHECKER), "./tools/deep-links-check"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600)
        assert build.returncode == 0, build.stderr

    def run(links: list[dict], resource: dict) -> dict[str, dict]:
        data = {"resource": resource, "application": {"metadata": {"name": "streaming"}},
                "app": {"metadata": {"name": "streaming"}}, "cluster": {"name": "in-cluster"}, "project": {}}
        out = subprocess.run([str(CHECKER)], input=json.dumps({"links": links, "data": data}) + "\n",
                             capture_output=True, text=True, timeout=60, check=True)
        return {r["title"]: r for r in json.loads(out.stdout)}
    return run


OPERATOR_DOC_TEMPLATES = [
    # docs/content/docs/operations/ingress.md of the operator, and a template with its own scheme
    ("flink.k8s.io/{{namespace}}/{{name}}(/|$)(.*)", "http://flink.k8s.io/default/advanced-ingress/"),
    ("{{name}}.{{namespace}}.flink.k8s.io/", "http://advanced-ingress.default.flink.k8s.io/"),
    ("{{name}}.{{namespace}}.flink.k8s.io", "http://advanced-ingress.default.flink.k8s.io/"),
    ("https://{{NAME}}.{{Namespace}}.example.com/flink", "https://advanced-ingress.default.example.com/flink/"),
]


@pytest.mark.parametrize("template, want", OPERATOR_DOC_TEMPLATES)
def test_web_ui_link_is_where_the_operators_ingress_serves(evaluate, template, want):
    got = evaluate(resource_links(), flink(ingress={"template": template, "className": "nginx"}))["Flink web UI"]
    assert got == {"title": "Flink web UI", "shown": True, "url": want}
    # the same host and path (less the ingress controller's regular expression) as the operator's Ingress rule
    scheme, host, path = operator_ingress_url(template, "advanced-ingress", "default")
    url = urlsplit(want)
    assert (url.scheme, url.netloc) == (scheme, host)
    assert url.path.rstrip("/") == path.split("(")[0].rstrip("/")


def test_web_ui_link_uses_https_when_the_ingress_has_tls(evaluate):
    got = evaluate(resource_links(), flink(ingress={"template": "{{name}}.flink.example.com",
                                                    "tls": [{"hosts": ["advanced-ingress.flink.example.com"]}]}))
    assert got["Flink web UI"]["url"] == "https://advanced-ingress.flink.example.com/"


def test_blue_green_deployments_get_the_link_from_their_own_name(evaluate):
    got = evaluate(resource_links(), flink("FlinkBlueGreenDeployment", {"template": "{{name}}.flink.example.com"},
                                           name="checkout"))
    assert got["Flink web UI"]["url"] == "http://checkout.flink.example.com/"


@pytest.mark.parametrize("resource", [
    flink(),  # no ingress
    flink(ingress={"template": "/{{namespace}}/{{name}}(/|$)(.*)"}),  # no host: the controller's address is unknown
    flink(ingress={"template": ""}),
    flink("FlinkSessionJob"),  # no ingress of its own
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"ingress": {"template": "x"}}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},  # no spec at all
])
def test_no_web_ui_link_where_there_is_none_and_no_error_either(evaluate, resource):
    got = evaluate(resource_links(), resource)["Flink web UI"]
    assert got == {"title": "Flink web UI", "shown": False}  # hidden by its condition, not by an error


@pytest.mark.parametrize("kind", ["FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment",
                                  "FlinkStateSnapshot"])
def test_health_link_opens_the_dashboard_filtered_to_the_resource(evaluate, kind):
    got = evaluate(resource_links(HEALTH), flink(kind, name="orders", namespace="stream-prod"))["Flink health"]
    assert got == {"title": "Flink health", "shown": True,
                   "url": f"{HEALTH}/#namespace=stream-prod&kind={kind}&name=orders"}


def test_health_link_only_on_flink_resources(evaluate):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orders-taskmanager-1-1", "namespace": "s"}}
    assert evaluate(resource_links(HEALTH), pod)["Flink health"] == {"title": "Flink health", "shown": False}


def test_the_checker_fails_the_way_argo_cd_does_so_a_bad_link_would_show(evaluate):
    # the premise of the tests above: an error in a condition or template is reported, not a hidden link
    broken = [{"title": "t", "url": "{{ .resource.spec.ingress.template }}", "if": "resource.spec.ingress.x"},
              {"title": "u", "url": "{{ .resource.metadata.name.first }}"}]
    got = evaluate(broken, flink())
    assert got["t"]["error"].startswith("condition: cannot fetch x from <nil>")
    assert got["u"]["error"].startswith("template: ") and not got["u"]["shown"]
