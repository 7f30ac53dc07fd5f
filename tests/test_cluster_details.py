"""What the store keeps of a status beyond health: the Flink web UI's address from ``spec.ingress``, as the
operator's IngressUtils makes it, and never anything but an http(s) address."""

from __future__ import annotations

import pytest

from flink_gitops.cluster.details import operator_error, web_ui_url


def deployment_with(template) -> dict:
    return {"kind": "FlinkDeployment", "metadata": {"name": "orders", "namespace": "streaming"},
            "spec": {"ingress": {"template": template, "className": "nginx"}}}


@pytest.mark.parametrize("template, url", [
    ("{{name}}.{{namespace}}.flink.example.com", "http://orders.streaming.flink.example.com/"),
    ("https://flink.example.com/{{namespace}}/{{name}}", "https://flink.example.com/streaming/orders/"),
    ("HTTPS://{{NAME}}.example.com:8443", "https://orders.example.com:8443/"),
    # nginx's rewrite example: the regex tail is not part of the address people open
    ("flink.example.com/{{namespace}}/{{name}}(/|$)(.*)", "http://flink.example.com/streaming/orders/"),
    # no host: served on the ingress controller's address, which the object does not say
    ("/{{namespace}}/{{name}}(/|$)(.*)", ""),
    ("javascript:alert(1)", ""),
    ("javascript://example.com/%0aalert(1)", ""),
    ("data:text/html,<script>alert(1)</script>", ""),
    ("http://exa mple.com/", ""),
    ("http://example.com/\"><img src=x>", ""),
    ("", ""),
    (42, ""),
])
def test_web_ui_url_follows_the_operator_and_is_only_ever_http(template, url):
    assert web_ui_url("FlinkDeployment", deployment_with(template)) == url


def test_only_flink_deployments_have_a_web_ui():
    assert web_ui_url("FlinkSessionJob", deployment_with("flink.example.com")) == ""
    assert web_ui_url("FlinkDeployment", {"kind": "FlinkDeployment", "metadata": {"name": "a", "namespace": "b"},
                                          "spec": {}}) == ""


@pytest.mark.parametrize("raw", ["plain text from operator 0.1", "{not json", '["a"]', '{"message": "no type"}',
                                 '{"type": ""}', None, 7])
def test_what_is_not_the_operators_json_error_is_not_decoded(raw):
    assert operator_error({"status": {"error": raw}}) is None
