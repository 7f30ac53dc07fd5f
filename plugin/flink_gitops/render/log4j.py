"""log4j configuration of Flink deployments, in ``flink-config-<name>`` ConfigMaps or inline.

Two strategies (parameter ``log4j-strategy``), see docs/plugin.md for the trade-off:

* ``configmap`` (default): keep the user's ``flink-config-<name>`` ConfigMap; the waves step
  orders it after its FlinkDeployment. The operator adopts nothing: Flink's Kubernetes client,
  inside the operator, replaces that ConfigMap whenever it creates the JobManager Deployment
  (first deploy, upgrade, restart, resume); applied after that, Argo CD's apply puts the user's
  log keys back over it. log4j re-reads the mounted file every ``monitorInterval`` seconds: log
  changes apply without a restart, and the operator's text returns at each JobManager deployment
  until Argo CD applies again.
* ``inline``: move the content into the FlinkDeployment's ``spec.logConfiguration`` and drop the
  ConfigMap. The operator alone writes the ConfigMap, from the spec (no fight with Argo CD), but
  a log change is a spec change: the operator restarts the job.

Both check that the properties parse as log4j would read them.
"""

from __future__ import annotations

import re

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located, in_api_group
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import POD_TEMPLATE_PATHS, dig, name_of, where, with_obj

LOG4J_KEY = "log4j-console.properties"
LOGBACK_KEY = "logback-console.xml"
LOG_KEYS = (LOG4J_KEY, LOGBACK_KEY)
#: What FlinkConfMountDecorator puts next to the log files in flink-config-<name> (Flink 2 / 1.x).
FLINK_CONF_KEYS = ("config.yaml", "flink-conf.yaml")
CONFIG_PREFIX = "flink-config-"
LEVELS = {"ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"}
RELOADER_KEYS = ("configmap.reloader.stakater.com/reload", "reloader.stakater.com/auto",
                 "reloader.stakater.com/search")
_KEY_END = re.compile(r"(?<!\\)(?:\\\\)*[=:\s]")


# --- Java properties, as java.util.Properties.load reads them --------------------------------

def parse_properties(text: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """([(line, key, value)], [(line, error)]) for a ``.properties`` text."""
    entries: list[tuple[int, str, str]] = []
    errors: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        # A line ending in an odd number of backslashes continues on the next one.
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1] + (lines[i].lstrip(" \t\f") if i < len(lines) else "")
            i += 1
        m = _KEY_END.search(line)
        key, rest = (line[: m.end() - 1], line[m.end() - 1:]) if m else (line, "")
        rest = rest.lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        try:
            entries.append((start + 1, _unescape(key), _unescape(rest)))
        except ValueError as exc:
            errors.append((start + 1, str(exc)))
    return entries, errors


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2: i + 6]
            if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise ValueError(f"malformed \\uxxxx escape {text[i:i + 6]!r} (Java refuses the whole file)")
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(nxt, nxt))
        i += 2
    return "".join(out)


def check_log4j(text: str) -> tuple[list[tuple[int | None, str]], dict[str, str]]:
    """Problems log4j2 would hit reading this properties text, and the parsed keys."""
    if text.lstrip().startswith("<"):
        return [(1, "holds XML, but log4j reads a .properties file as properties; "
                    "write it in properties format (or use logback-console.xml with Logback)")], {}
    entries, parse_errors = parse_properties(text)
    problems: list[tuple[int | None, str]] = list(parse_errors)
    props = {k: v for _, k, v in entries}
    line_of = {k: n for n, k, _ in entries}

    def level_ok(value: str) -> bool:
        return "${" in value or value.strip().upper() in LEVELS

    for key, value in props.items():
        if key == "rootLogger" and not level_ok(value.split(",")[0]):  # shorthand: "INFO, console"
            problems.append((line_of[key], f"rootLogger level {value.split(',')[0].strip()!r} is not one of "
                                           f"{', '.join(sorted(LEVELS))}"))
        elif (key == "rootLogger.level" or re.fullmatch(r"logger\.[^.]+\.level", key)) and not level_ok(value):
            problems.append((line_of[key], f"{key} = {value!r} is not one of {', '.join(sorted(LEVELS))}"))
        m = re.fullmatch(r"logger\.([^.]+)\.level", key)
        if m and f"logger.{m.group(1)}.name" not in props:
            problems.append((line_of[key], f"logger {m.group(1)!r} has a level but no logger.{m.group(1)}.name; "
                                           "log4j refuses a logger without a name"))
    if "monitorInterval" in props and not re.fullmatch(r"\d+", props["monitorInterval"].strip()):
        problems.append((line_of["monitorInterval"], f"monitorInterval = {props['monitorInterval']!r} is not a "
                                                     "number of seconds"))
    return problems, props


def _check_logback(text: str) -> tuple[list[tuple[int | None, str]], bool]:
    from xml.etree import ElementTree  # only when a Logback file is present

    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return [(exc.position[0], f"not well-formed XML: {exc}")], False
    return [], root.get("scan", "").lower() == "true"


def _check_content(loc: Located, key: str, text: object, field: str) -> tuple[list[Problem], bool | None]:
    """(problems, hot reload on?) of one log configuration text."""
    if not isinstance(text, str):
        return [loc.problem(f"{key} must be text", field)], None
    if key == LOGBACK_KEY:
        found, reload = _check_logback(text)
    else:
        found, props = check_log4j(text)
        reload = "monitorInterval" in props
    return [loc.problem(f"line {line}: {msg}" if line else msg, field) for line, msg in found], reload


def _reloader_annotations(fd: dict, cm_name: str) -> list[str]:
    found = []
    metas = [fd.get("metadata")] + [dig(fd, *path, "metadata") for path in POD_TEMPLATE_PATHS]
    for meta in metas:
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        if not isinstance(ann, dict):
            continue
        for key in RELOADER_KEYS:
            value = str(ann.get(key, ""))
            if key.startswith("configmap.") and cm_name in [v.strip() for v in value.split(",")]:
                found.append(key)
            elif not key.startswith("configmap.") and value.lower() == "true":
                found.append(key)
    return found


# --- the step -------------------------------------------------------------------------------

def log_configmaps(objs: list[Located], ctx: RenderContext) -> dict[int, int | None]:
    """Index of every ``flink-config-*`` ConfigMap -> index of its FlinkDeployment (None: not in the app)."""
    deployments = {(ctx.namespace_of(loc.obj), name_of(loc.obj)): i
                   for i, loc in enumerate(objs) if in_api_group(loc.obj, "FlinkDeployment")}
    out = {}
    for i, loc in enumerate(objs):
        name = name_of(loc.obj)
        if loc.obj.get("kind") == "ConfigMap" and loc.obj.get("apiVersion") == "v1" and name.startswith(CONFIG_PREFIX):
            out[i] = deployments.get((ctx.namespace_of(loc.obj), name[len(CONFIG_PREFIX):]))
    return out


def check_log_configuration(objs: list[Located], ctx: RenderContext) -> list[Located]:
    """Check every log configuration; move ConfigMaps inline when ``log4j-strategy=inline``."""
    problems: list[Problem] = []
    configmaps = log_configmaps(objs, ctx)
    inline = ctx.param("log4j-strategy") == "inline"
    for i, loc in enumerate(objs):
        if in_api_group(loc.obj, "FlinkDeployment"):
            conf = dig(loc.obj, "spec", "logConfiguration")
            for key, text in (conf.items() if isinstance(conf, dict) else ()):
                if key in LOG_KEYS:
                    problems += _check_content(loc, key, text, f"spec.logConfiguration[{key}]")[0]
    for i, fd_index in configmaps.items():
        loc = objs[i]
        data = loc.obj.get("data") if isinstance(loc.obj.get("data"), dict) else {}
        for key in sorted(set(data) & set(FLINK_CONF_KEYS)):
            if not inline:  # inline refuses these keys outright, below
                ctx.warn(loc.problem(
                    "the operator writes the Flink configuration into this key at every deployment, so Argo CD "
                    "and the operator would overwrite each other", f"data[{key}]",
                    "keep only log configuration in this ConfigMap; put Flink options in spec.flinkConfiguration"))
        for key in LOG_KEYS:
            if key not in data:
                continue
            found, reload = _check_content(loc, key, data[key], f"data[{key}]")
            problems += found
            if fd_index is None:
                ctx.note(f"{where(loc)}: no FlinkDeployment {name_of(loc.obj)[len(CONFIG_PREFIX):]} in this app; "
                         "its log configuration is checked but not ordered")
                continue
            fd = objs[fd_index]
            if isinstance(dig(fd.obj, "spec", "logConfiguration", key), str) and not inline:
                ctx.warn(fd.problem(f"sets spec.logConfiguration[{key}] and the app also ships {name_of(loc.obj)}: "
                                    "the operator writes the former into the latter and Argo CD writes it back "
                                    "on every sync", "spec.logConfiguration",
                                    "keep one of them (parameter log4j-strategy=inline merges the ConfigMap in)"))
            if inline:
                continue
            reloaders = _reloader_annotations(fd.obj, name_of(loc.obj))
            if reloaders:
                ctx.warn(fd.problem(
                    f"Stakater Reloader annotation {reloaders[0]} restarts the Flink pods on every change of "
                    f"{name_of(loc.obj)}" + (", which defeats log4j hot reload (monitorInterval): choose one"
                                             if reload else ""),
                    "metadata.annotations", "remove the annotation to reload logs without restarts"))
            elif reload is False:
                ctx.warn(loc.problem(
                    "no monitorInterval: log4j never re-reads this file, so a change applies only when pods restart"
                    if key == LOG4J_KEY else "no scan=\"true\": Logback never re-reads this file",
                    f"data[{key}]", "add monitorInterval=30" if key == LOG4J_KEY else 'add scan="true"'))
    if problems:
        raise UserError(problems)
    return _inline(objs, configmaps, ctx) if inline else objs


def _inline(objs: list[Located], configmaps: dict[int, int | None], ctx: RenderContext) -> list[Located]:
    problems: list[Problem] = []
    drop: set[int] = set()
    merged: dict[int, dict] = {}
    for i, fd_index in configmaps.items():
        if fd_index is None:
            continue
        cm, fd = objs[i], objs[fd_index]
        data = cm.obj.get("data") if isinstance(cm.obj.get("data"), dict) else {}
        if not set(data) & set(LOG_KEYS):
            continue  # no log configuration to move: left as it is
        others = sorted(set(data) - set(LOG_KEYS)) + (["binaryData"] if cm.obj.get("binaryData") else [])
        if others:
            problems.append(cm.problem(
                f"log4j-strategy=inline cannot drop this ConfigMap: it also holds {', '.join(others)}",
                "data", "move Flink options to the FlinkDeployment's spec.flinkConfiguration, or use "
                        "log4j-strategy=configmap"))
            continue
        current = dig(fd.obj, "spec", "logConfiguration")
        current = dict(current) if isinstance(current, dict) else {}
        for key in LOG_KEYS:
            if key in data:
                if key in current and current[key] != data[key]:
                    problems.append(fd.problem(
                        f"spec.logConfiguration[{key}] differs from {key} in ConfigMap {name_of(cm.obj)}",
                        f"spec.logConfiguration[{key}]", "keep the log configuration in one place"))
                current[key] = data[key]
        merged[fd_index] = current
        drop.add(i)
        ctx.note(f"{where(cm)}: moved into {fd.obj['kind']} {name_of(fd.obj)} spec.logConfiguration "
                 "(log4j-strategy=inline); a log change now restarts the job")
    if problems:
        raise UserError(problems)
    out = []
    for i, loc in enumerate(objs):
        if i in drop:
            continue
        if i in merged:
            obj = dict(loc.obj)
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            obj["spec"] = {**spec, "logConfiguration": merged[i]}
            loc = with_obj(loc, obj)
        out.append(loc)
    return out


