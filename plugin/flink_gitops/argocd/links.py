"""``resource.links`` for argocd-cm: deep links from a Flink resource to its Flink web UI and to the health service.

Argo CD (``server/deeplinks/deeplinks.go``, ``docs/operator-manual/deep_links.md``) offers each link of
``resource.links`` on every resource whose ``if`` holds; ``if`` is an expr-lang/expr expression (Argo CD 3.x
vendors expr v1.17) over ``resource`` (the live object), ``application``/``app``, ``cluster`` and ``project``;
``url`` is a Go ``text/template`` over the same data, with sprig's generic functions (``env``,
``expandenv`` and ``getHostByName`` removed). A condition that fails to evaluate or is not a boolean hides
the link (and is logged). Links have existed since Argo CD 2.6; nothing here needs a later version.

* **Flink web UI** (FlinkDeployment, FlinkBlueGreenDeployment): when ``spec.ingress.template`` is set and
  names a host. The operator (``IngressUtils.getIngressUrl``) replaces ``{{name}}`` and ``{{namespace}}``
  (case-insensitively) with the resource's, prefixes ``http://`` when the template has no scheme, and uses the
  URL's host and path for the Ingress rule; the path may end in a regular expression for the ingress
  controller (``(/|$)(.*)``), which the link cuts off. The link uses https when the template says so or
  ``spec.ingress.tls`` is set, else http, and ends in ``/`` (the web UI loads its assets relative to it). A
  template without a host (``/{{namespace}}/{{name}}(/|$)(.*)``) is served on whatever address the ingress
  controller has, which the resource does not tell: no link then. A FlinkSessionJob has no ingress of its
  own (its session cluster has), so it gets no web UI link.
* **Health service** (the four Flink kinds): when its URL is configured (``flink-gitops generate bundle
  --health-service-url URL``): its dashboard filtered to the resource (``#namespace=…&kind=…&name=…``), which
  lists a deployment's snapshots under it.
"""

from __future__ import annotations

import re

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, kind_names

LINKS_KEY = "resource.links"
UI_KINDS = ("FlinkDeployment", "FlinkBlueGreenDeployment")
HEALTH_KINDS = kind_names()  # every kind the health service serves


def _kinds(kinds: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{k}"' for k in kinds) + "]"


# expr: && short-circuits, so no member of a missing map is read; a missing key reads as nil.
UI_CONDITION = (f'resource.apiVersion startsWith "{API_GROUP}/" && resource.kind in {_kinds(UI_KINDS)}'
                " && resource.spec != nil && resource.spec.ingress != nil"
                ' && resource.spec.ingress.template != nil && resource.spec.ingress.template != ""'
                ' && !(resource.spec.ingress.template startsWith "/")')

# text/template with sprig: the operator's substitution, then scheme, host and path up to the first "(".
UI_URL = (
    "{{- $t := .resource.spec.ingress.template -}}"
    '{{- $t = regexReplaceAll "(?i)\\\\{\\\\{name\\\\}\\\\}" $t .resource.metadata.name -}}'
    '{{- $t = regexReplaceAll "(?i)\\\\{\\\\{namespace\\\\}\\\\}" $t .resource.metadata.namespace -}}'
    '{{- $t = regexReplaceAll "\\\\(.*$" $t "" -}}'
    '{{- if not (regexMatch "^(?i)https?://" $t) -}}'
    "{{- if .resource.spec.ingress.tls }}https://{{ else }}http://{{ end -}}"
    "{{- end -}}"
    '{{- trimSuffix "/" $t }}/'
)

HEALTH_CONDITION = f'resource.apiVersion startsWith "{API_GROUP}/" && resource.kind in {_kinds(HEALTH_KINDS)}'

_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")


def check_health_service_url(url: str) -> str:
    """The health service's base URL, without a trailing '/'; an error for anything but a plain http(s) URL
    (it is pasted into a Go template: no braces, quotes or spaces)."""
    url = url.strip()
    if not _URL.fullmatch(url):
        raise UserError(Problem(f"{url!r} is not an http(s) URL of the health service",
                                file="--health-service-url",
                                hint="give the address users open the dashboard at, e.g. https://flink-health.example.com"))
    return url.rstrip("/")


def resource_links(health_service_url: str | None = None) -> list[dict]:
    """The ``resource.links`` entries, in the order Argo CD lists them."""
    links = [{
        "title": "Flink web UI",
        "description": "the Flink dashboard of this deployment, through the Ingress the operator creates "
                       "from spec.ingress",
        "icon.class": "fa fa-fw fa-tachometer-alt",
        "url": UI_URL,
        "if": UI_CONDITION,
    }]
    if health_service_url:
        base = check_health_service_url(health_service_url)
        links.append({
            "title": "Flink health",
            "description": "the health of this resource (and a deployment's snapshots) in the flink-gitops "
                           "health service",
            "icon.class": "fa fa-fw fa-heartbeat",
            "url": base + "/#namespace={{ .resource.metadata.namespace | urlquery }}&kind={{ .resource.kind }}"
                          "&name={{ .resource.metadata.name | urlquery }}",
            "if": HEALTH_CONDITION,
        })
    return links
