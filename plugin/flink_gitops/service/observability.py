"""The observability pack, generated: Prometheus alert and recording rules and a Grafana dashboard for the service's metrics.

One definition here (rules, panels, queries), built from the health vocabulary (statuses, kinds)
and the metric names below, is written as three files by ``flink-gitops generate monitoring``:
a plain Prometheus rule file (what ``promtool`` checks and tests, and what a Prometheus without
the Prometheus Operator loads), the same groups as a PrometheusRule for the monitoring Component,
and the Grafana dashboard. Every query here runs against a real Prometheus in the suite.
Imports no web framework: ``generate`` runs it without Flask.
"""

from __future__ import annotations

import json

from flink_gitops import yamlio
from flink_gitops.assess import statuses
from flink_gitops.health.status import DEGRADED, HEALTHY, PROGRESSING

# --- the service's metric names (service/metrics.py writes them) -------------------------------------------
HEALTH = "flink_gitops_resource_health"
SINCE = "flink_gitops_resource_status_since_timestamp_seconds"
RESOURCES = "flink_gitops_resources"
TRANSITIONS = "flink_gitops_health_transitions_total"
WATCH_RESTARTS = "flink_gitops_watch_restarts_total"
WATCH_STATE = "flink_gitops_watch_state"
LAST_EVENT = "flink_gitops_last_event_timestamp_seconds"
#: The scrape job of the health service (the Service's name, as the ServiceMonitor makes it).
JOB = "flink-gitops-health"

#: The identity of a resource across a fleet: replicas of one service report the same series, so rules
#: take the max per identity before they add up.
IDENTITY = "cluster, namespace, kind, name"

# --- recording rules --------------------------------------------------------------------------------------
BY_NAMESPACE = "cluster_namespace_kind_status:flink_gitops_resource_health:sum"
BY_CLUSTER = "cluster_status:flink_gitops_resource_health:sum"
TRANSITION_RATE = "cluster_kind_to:flink_gitops_health_transitions:rate5m"

RECORDING_RULES = [
    {"record": BY_NAMESPACE,
     "expr": f"sum by (cluster, namespace, kind, status) (max by ({IDENTITY}, status) ({HEALTH}))"},
    {"record": BY_CLUSTER, "expr": f"sum by (cluster, status) ({BY_NAMESPACE})"},
    {"record": TRANSITION_RATE, "expr": f"sum by (cluster, kind, to) (rate({TRANSITIONS}[5m]))"},
]

#: How long before the alerts fire; the runbook in docs/service.md explains each.
DEGRADED_FOR, PROGRESSING_FOR, WATCH_FOR, DOWN_FOR = "5m", "30m", "10m", "5m"
FLAPPING_TRANSITIONS = 4  # status changes in an hour
RUNBOOK = "https://github.com/flink-gitops/flink-gitops/blob/main/docs/service.md#runbook-"


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str, runbook: str) -> dict:
    return {"alert": name, "expr": expr, "for": for_, "labels": {"severity": severity},
            "annotations": {"summary": summary, "description": description, "runbook": runbook,
                            "runbook_url": RUNBOOK + name.lower()}}


_WHO = "{{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }}"
_WHERE = ("GET /api/v1/resources/{{ $labels.namespace }}/{{ $labels.kind }}/{{ $labels.name }} on the health "
          "service (or its dashboard) shows the message and the deciding rule.")

ALERTS = [
    _alert("FlinkResourceDegraded",
           f'max by ({IDENTITY}) ({HEALTH}{{status="{DEGRADED}"}}) == 1', DEGRADED_FOR, "critical",
           f"{_WHO} has been Degraded for {DEGRADED_FOR}",
           "Argo CD shows this Flink resource as Degraded: the job failed, the operator rejected its spec, or "
           "its JobManager is down. " + _WHERE,
           "Read the message and rule; for an operator error fix the spec in Git, for a failing job read the "
           "JobManager log (kubectl logs deploy/<name>)."),
    _alert("FlinkResourceProgressingTooLong",
           f'max by ({IDENTITY}) ({HEALTH}{{status="{PROGRESSING}"}}) == 1', PROGRESSING_FOR, "warning",
           f"{_WHO} has been Progressing for {PROGRESSING_FOR}: an upgrade or a deployment is stuck",
           "A deployment, upgrade or savepoint has not finished; a multi-wave Argo CD sync waits on it. " + _WHERE,
           "Check the operator's events (kubectl describe) and the JobManager; a savepoint that cannot complete "
           "blocks a savepoint upgrade."),
    _alert("FlinkResourceFlapping",
           f"sum by ({IDENTITY}) (changes({HEALTH}[1h])) / 2 > {FLAPPING_TRANSITIONS}", "0m", "warning",
           f"{_WHO} changed health more than {FLAPPING_TRANSITIONS} times in an hour",
           "Each status change flips two series (old 1 -> 0, new 0 -> 1), so half the changes is the number of "
           "transitions. A job restarting in a loop flaps between Progressing and Degraded. " + _WHERE,
           "Look at the job's restart strategy and exceptions in the Flink web UI; the transition history is on "
           "the health service's dashboard."),
    _alert("FlinkHealthWatchNotCurrent",
           f'max by (cluster, kind) ({WATCH_STATE}{{state=~"failing|pending"}}) == 1', WATCH_FOR, "warning",
           "flink-gitops cannot watch {{ $labels.kind }}: its health is not current",
           "The health service's watch of {{ $labels.kind }} is failing (credentials, RBAC, the API server, a "
           "stalled watch) or has never listed; /readyz of the service says why.",
           "curl the service's /readyz; fix the ServiceAccount's RBAC or the API server's reachability."),
    _alert("FlinkHealthServiceDown", f'up{{job="{JOB}"}} == 0', DOWN_FOR, "warning",
           "The flink-gitops health service is down (scrape failing)",
           "Prometheus cannot scrape the health service: Flink health alerts above cannot fire.",
           "kubectl -n flink-gitops get pods,events; the pod's log."),
    _alert("FlinkHealthServiceNotScraped", f'absent(up{{job="{JOB}"}})', "15m", "warning",
           "The flink-gitops health service is not scraped at all",
           "No scrape target for the health service: the ServiceMonitor is missing or does not match the "
           "Service, or Prometheus does not select it.",
           "kubectl -n flink-gitops get servicemonitor; check Prometheus' serviceMonitorSelector."),
]

RULE_GROUPS = [
    {"name": "flink-gitops.recording", "rules": RECORDING_RULES},
    {"name": "flink-gitops.alerts", "rules": ALERTS},
]

_HEADER = "# GENERATED by `flink-gitops generate monitoring` from plugin/flink_gitops/service/observability.py. Do not edit.\n"


def generate_rules_file() -> str:
    """The plain Prometheus rule file (``rule_files:``), what promtool checks and tests."""
    return _HEADER + yamlio.dump_documents([{"groups": RULE_GROUPS}]).removeprefix("---\n")


def generate_prometheus_rule() -> str:
    """The same groups as a PrometheusRule for the Prometheus Operator (the monitoring Component)."""
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "flink-gitops-health"}, "spec": {"groups": RULE_GROUPS}}
    return _HEADER + yamlio.dump_documents([rule]).removeprefix("---\n")


# --- the Grafana dashboard --------------------------------------------------------------------------------
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
_SCOPE = 'cluster=~"$cluster", namespace=~"$namespace"'


def _target(expr: str, ref: str = "A", legend: str = "", instant: bool = False, fmt: str = "time_series") -> dict:
    return {"datasource": DATASOURCE, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
            "range": not instant, "instant": instant, "format": fmt}


def _panel(kind: str, title: str, description: str, targets: list[dict], grid: tuple[int, int, int, int],
           **extra) -> dict:
    x, y, w, h = grid
    panel = {"type": kind, "title": title, "description": description, "datasource": DATASOURCE,
             "gridPos": {"x": x, "y": y, "w": w, "h": h}, "targets": targets}
    panel.update(extra)
    return panel


def _counts() -> dict:
    """The field config of a panel of plain counts (a fresh dict each: the dashboard is JSON, never shared)."""
    return {"defaults": {"unit": "none"}, "overrides": []}


def _operator_panel(title: str, family: str, label: str, by: str, legend: str, what: str, x: int) -> dict:
    """A panel of the operator's own per-namespace counts, ``flink_k8soperator_namespace_<family>_<VALUE>_Count``,
    with VALUE moved into the label ``label``."""
    name = f"flink_k8soperator_namespace_{family}"
    return _panel(
        "timeseries", f"Operator: {title}", "The Flink Kubernetes Operator's own metrics (its Prometheus reporter), "
        f"when they are scraped: no data otherwise. {what} ({name}_<{label.upper()}>_Count).",
        [_target(f'sum by ({by}) (label_replace({{__name__=~"{name}_.+_Count", cluster=~"$cluster", '
                 f'resourcens=~"$namespace"}}, "{label}", "$1", "__name__", "{name}_(.+)_Count"))', legend=legend)],
        (x, 30, 12, 8), fieldConfig=_counts())


_COLORS = {DEGRADED: "red", PROGRESSING: "blue", "Unknown": "orange", "Missing": "purple", "Suspended": "yellow",
           HEALTHY: "green"}


def _panels() -> list[dict]:
    panels: list[dict] = []
    shown = statuses()
    width = 24 // len(shown)
    for i, status in enumerate(shown):
        panels.append(_panel(
            "stat", status, f"Flink resources Argo CD shows as {status} now.",
            [_target(f'sum({BY_NAMESPACE}{{{_SCOPE}, status="{status}"}}) or vector(0)', instant=True)],
            (i * width, 0, width, 4),
            fieldConfig={"defaults": {"color": {"mode": "fixed", "fixedColor": _COLORS.get(status, "text")},
                                      "unit": "none"}, "overrides": []},
            options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                     "colorMode": "background", "graphMode": "none", "textMode": "value"}))
    panels.append(_panel(
        "timeseries", "Health over time", "Flink resources per health status (recording rule "
        f"{BY_NAMESPACE}).",
        [_target(f"sum by (status) ({BY_NAMESPACE}{{{_SCOPE}}})", legend="{{status}}")],
        (0, 4, 12, 8), fieldConfig={"defaults": {"unit": "none", "custom": {"stacking": {"mode": "normal"}}},
                                    "overrides": [{"matcher": {"id": "byName", "options": s},
                                                   "properties": [{"id": "color", "value": {
                                                       "mode": "fixed", "fixedColor": c}}]}
                                                  for s, c in _COLORS.items()]}))
    panels.append(_panel(
        "timeseries", "Transitions", "Health status changes per minute, by the status entered.",
        [_target(f"sum by (to) (rate({TRANSITIONS}{{cluster=~\"$cluster\"}}[$__rate_interval])) * 60",
                 legend="to {{to}}")],
        (12, 4, 12, 8), fieldConfig=_counts()))
    panels.append(_panel(
        "table", "Not Healthy", "Every Flink resource that is not Healthy, with the rule of the health table "
        "that decided and the time in its current status. The message is on the health service: the link "
        "on each name opens its JSON (GET /api/v1/resources/<namespace>/<kind>/<name>).",
        [_target(f'time() - max by ({IDENTITY}, status, rule) ({SINCE}{{{_SCOPE}, status!="{HEALTHY}"}})',
                 instant=True, fmt="table")],
        (0, 12, 24, 10),
        fieldConfig={"defaults": {"unit": "s"}, "overrides": [
            {"matcher": {"id": "byName", "options": "Value"},
             "properties": [{"id": "displayName", "value": "time in status"}]},
            {"matcher": {"id": "byName", "options": "name"},
             "properties": [{"id": "links", "value": [{
                 "title": "message and history on the health service",
                 "url": "${service_url}/api/v1/resources/${__data.fields.namespace}/${__data.fields.kind}/"
                        "${__data.fields.name}"}]}]}]},
        transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}}],
        options={"sortBy": [{"displayName": "time in status", "desc": True}]}))
    panels.append(_panel(
        "table", "Watches", "Each kind's watch as the health service reports it: synced (current), pending "
        "(not listed yet), absent (no CRD) or failing (the service's data is not current); and the age of the "
        "last event.",
        [_target(f'max by (cluster, kind, state) ({WATCH_STATE}{{cluster=~"$cluster"}} == 1)', "A",
                 instant=True, fmt="table"),
         _target(f'time() - max by (cluster, kind) ({LAST_EVENT}{{cluster=~"$cluster"}})', "B",
                 instant=True, fmt="table")],
        (0, 22, 12, 8), fieldConfig={"defaults": {"unit": "s"}, "overrides": []},
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True, "Value #A": True},
                                                        "renameByName": {"Value #B": "since last event"}}}]))
    panels.append(_panel(
        "timeseries", "Watch restarts", "Watches started again, by reason (expired: a relist after a 410; "
        "idle: no event or bookmark for too long).",
        [_target(f'sum by (kind, reason) (increase({WATCH_RESTARTS}{{cluster=~"$cluster"}}[$__rate_interval]))',
                 legend="{{kind}} {{reason}}")],
        (12, 22, 12, 8), fieldConfig=_counts()))
    panels.append(_operator_panel("lifecycle states", "Lifecycle_State", "state", "resourcetype, state",
                                  "{{resourcetype}} {{state}}", "Resources per lifecycle state", 0))
    panels.append(_operator_panel("JobManager deployments", "JmDeploymentStatus", "status", "status", "{{status}}",
                                  "FlinkDeployments per JobManager deployment status", 12))
    for number, panel in enumerate(panels, 1):
        panel["id"] = number
    return panels


def _variables() -> list[dict]:
    def query_var(name: str, label: str, query: str) -> dict:
        return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
                "query": {"query": query, "refId": f"{name}-values"}, "definition": query, "refresh": 2,
                "includeAll": True, "allValue": ".*", "multi": True, "sort": 1,
                "current": {"text": "All", "value": "$__all"}}

    return [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0},
        query_var("cluster", "Cluster", f"label_values({WATCH_STATE}, cluster)"),
        query_var("namespace", "Namespace", f'label_values({HEALTH}{{cluster=~"$cluster"}}, namespace)'),
        {"name": "service_url", "label": "Health service URL", "type": "textbox",
         "query": "http://flink-gitops-health.flink-gitops.svc:8080",
         "current": {"text": "http://flink-gitops-health.flink-gitops.svc:8080",
                     "value": "http://flink-gitops-health.flink-gitops.svc:8080"}},
    ]


def grafana_dashboard() -> dict:
    return {
        "uid": "flink-gitops",
        "title": "Flink health (flink-gitops)",
        "description": "GENERATED by `flink-gitops generate monitoring` from plugin/flink_gitops/service/"
                       "observability.py. Do not edit: Flink resources as Argo CD shows them, from the flink-gitops "
                       "health service.",
        "tags": ["flink", "flink-gitops", "argocd"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "templating": {"list": _variables()},
        "annotations": {"list": []},
        "links": [],
        "panels": _panels(),
    }


def generate_grafana_dashboard() -> str:
    return json.dumps(grafana_dashboard(), indent=2, ensure_ascii=False) + "\n"


RULES_FILE = "deploy/prometheus/flink-gitops-rules.yaml"
PROMETHEUS_RULE = "deploy/health-service/components/monitoring/prometheusrule.yaml"
DASHBOARD = "deploy/grafana/flink-gitops.json"


def generate_monitoring_files() -> dict[str, str]:
    """Repo-relative path -> text of every generated observability file."""
    return {RULES_FILE: generate_rules_file(), PROMETHEUS_RULE: generate_prometheus_rule(),
            DASHBOARD: generate_grafana_dashboard()}
