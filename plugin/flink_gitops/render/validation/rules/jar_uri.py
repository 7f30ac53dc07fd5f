"""A session job's jarURI (``DefaultValidator.validateJarURI``): a URI with an allowed scheme and a host that
is not loopback, link-local or private."""

from __future__ import annotations

import re

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.examples import flink_session_job
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.common import Report, Settings, string_at

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


register(
    "jar-uri", "jarURI without a scheme, with a scheme outside the allowlist, or a restricted host",
    operator="jarURI scheme '...' is not in the allowlist [...]",
    source=DEFAULT_VALIDATOR,
    fix="`https://…` for session jobs, `local:///…` for application clusters, or extend the operator's allowlist and "
        "pass it in `validate-operator-config`.",
    details="FlinkSessionJob `spec.job.jarURI` (the operator downloads it): not a valid URI (*\"jarURI is not a "
            "valid URI\"*), no scheme (*\"jarURI must include a scheme\"*), a scheme outside "
            "`kubernetes.operator.user.artifacts.allowed-schemes` (default `https` only: *\"jarURI scheme '…' is not "
            "in the allowlist [https]…\"*), http(s) without a host, or a host that is `localhost` or a literal "
            "loopback, link-local (cloud metadata), site-local, wildcard or multicast address (*\"jarURI host '…' "
            "resolves to a restricted address\"*). **Warning:** a FlinkDeployment jarURI without a scheme — the "
            "operator does not check it, but application mode documents `local://` for a jar in the image.",
    example=flink_session_job(jar="s3://jobs/daily-revenue.jar"),
    expected="example.yaml (document 1): FlinkSessionJob reporting/daily-revenue: spec.job.jarURI: jarURI scheme "
             "'s3' is not allowed (allowed: https, the operator's default) (operator: \"jarURI scheme 's3' is not in "
             "the allowlist [https]. Configure 'kubernetes.operator.user.artifacts.allowed-schemes' to extend the "
             "allowlist.\") [jar-uri] (fix: serve the jar over https, or extend "
             "kubernetes.operator.user.artifacts.allowed-schemes in the operator's configuration (and pass it in "
             "parameter validate-operator-config))",
    since="1.15")


_URI_ILLEGAL = re.compile(r"[\s\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")


def check_jar_uri(rep: Report, jar: object, settings: Settings, path: str) -> None:
    if jar is None:
        return
    if not isinstance(jar, str):
        string_at(rep, {"jarURI": jar}, "jarURI", path)
        return
    schemes = ", ".join(settings.jar_schemes)
    bad = _URI_ILLEGAL.search(jar)
    if bad or not jar:
        what = "is empty" if not jar else f"contains {bad.group(0)!r} at index {bad.start()}"
        rep.error("jar-uri", path, f"jarURI {jar!r} {what}", "jarURI is not a valid URI: ...",
                  "percent-encode the character, e.g. a space as %20")
        return
    m = SCHEME.match(jar)
    if not m:
        rep.error("jar-uri", path, f"jarURI {jar!r} has no scheme; the operator fetches session job jars by URI",
                  "jarURI must include a scheme", f"write a full URI with an allowed scheme ({schemes}), "
                  "e.g. https://repo.example.com/jobs/my-job.jar")
        return
    scheme = m.group(0)[:-1].lower()
    if scheme not in settings.jar_schemes:
        rep.error("jar-uri", path, f"jarURI scheme {scheme!r} is not allowed (allowed: {schemes}"
                  + ("" if settings.operator_conf_given else ", the operator's default") + ")",
                  f"jarURI scheme '{scheme}' is not in the allowlist [{schemes}]. Configure "
                  f"'{fc.JAR_SCHEMES_KEY}' to extend the allowlist.",
                  f"serve the jar over {schemes}, or extend {fc.JAR_SCHEMES_KEY} in the operator's configuration "
                  "(and pass it in parameter validate-operator-config)")
        return
    if scheme in ("http", "https") and settings.restricted_hosts:
        rest = jar[m.end():]
        host = None
        if rest.startswith("//"):
            authority = re.match(r"//([^/?#]*)", rest).group(1).rpartition("@")[2]
            if authority.startswith("["):
                host = authority[1:].partition("]")[0]
            else:
                host = authority.partition(":")[0]
            if host and not re.fullmatch(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+", host):
                host = None  # java.net.URI: registry-based authority, getHost() == null
        if not host:
            rep.error("jar-uri", path, f"jarURI {jar!r} has no host", "jarURI must include a host for http/https "
                      "schemes", "write https://host/path/job.jar")
            return
        reason = _restricted(host)
        if reason:
            rep.error("jar-uri", path, f"jarURI host {host!r} is {reason}; the operator refuses to fetch from it",
                      f"jarURI host '{host}' resolves to a restricted address",
                      "host the jar on a public artifact server, or disable "
                      f"{fc.JAR_RESTRICTED_HOSTS_KEY} in the operator (and in validate-operator-config)")


def _restricted(host: str) -> str | None:
    """Java's loopback / link-local / site-local / any-local / multicast checks, for literal
    addresses and ``localhost`` (names that need DNS are not resolved: no network here)."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return "the loopback host"
    import ipaddress

    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_unspecified:
        return "the wildcard address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_link_local:
        return "a link-local address (cloud metadata endpoints live there)"
    site_local = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("172.16.0.0/12"),
                  ipaddress.ip_network("192.168.0.0/16")) if addr.version == 4 else (
        ipaddress.ip_network("fec0::/10"),)
    if any(addr in net for net in site_local):
        return "a site-local (private) address"
    return None


