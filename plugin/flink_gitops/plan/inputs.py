"""What ``plan`` reads: desired objects (app folders rendered by the plugin, or manifests), live objects, the operator's configuration.

An app folder goes through the plugin's own pipeline (``render.api.render``: the same objects Argo
CD would apply); files and ``-`` are read as manifests by ``manifests.read_objects`` (``kubectl get
-o yaml`` output: a List or a stream). The operator configuration is its ``defaultConfiguration``
as ``validate-operator-config`` reads it (flink-conf.yaml lines, nested config.yaml, JSON), or the
operator's ConfigMap itself.
"""

from __future__ import annotations

import os
from typing import Callable, Mapping

from flink_gitops import yamlio
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops.manifests import MAX_INPUT_BYTES, read_objects, read_stream, read_text

OPERATOR_CONFIG_KEYS = ("config.yaml", "flink-conf.yaml")


def read_desired(paths: list[str], env: Mapping[str, str], note: Callable[[str], None]) -> list[Located]:
    """Every desired object: folders rendered as Argo CD's plugin renders them, files and ``-`` read as they are."""
    from flink_gitops.render.api import collect_params, render

    out: list[Located] = []
    problems: list[Problem] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            app_dir = os.path.realpath(path)
            contexts: list = []
            try:
                objs = render(app_dir, collect_params(app_dir, env, [], False), env, contexts=contexts)
            except UserError as exc:
                problems.extend(exc.problems)
                continue
            finally:
                for ctx in contexts:
                    for w in ctx.warnings:
                        note(f"warning: {path}: {w}")
            out.extend(Located(obj, f"{path} (rendered)", i + 1) for i, obj in enumerate(objs))
        else:
            try:
                out.extend(read_objects([path]))
            except UserError as exc:
                problems.extend(exc.problems)
    if problems:
        raise UserError(problems)
    return out


def read_live(path: str) -> list[Located]:
    """``kubectl get ... -o yaml`` output (a List or a stream) from a file, a folder or ``-``."""
    return read_objects([path])


def read_operator_config(path: str) -> dict[str, str]:
    """The operator's default configuration, flat (``key: value``), from a file or ``-``."""
    from flink_gitops.render.validation.flinkconf import parse_operator_config

    shown = "<stdin>" if path == "-" else path
    if path == "-":
        import sys

        text = read_stream(sys.stdin, shown, MAX_INPUT_BYTES)
    else:
        if not os.path.isfile(path):
            raise UserError(Problem("no such file", file=path, hint="give the operator's flink-conf.yaml, "
                                    "config.yaml or its ConfigMap (kubectl get configmap flink-operator-config -o yaml)"))
        text = read_text(path, shown, MAX_INPUT_BYTES)
    text = _from_config_map(text, shown)
    try:
        return parse_operator_config(text)
    except ValueError as exc:
        raise UserError(Problem(str(exc), file=shown)) from None


def _from_config_map(text: str, shown: str) -> str:
    """The configuration inside the operator's ConfigMap (``data: {config.yaml | flink-conf.yaml}``), else ``text``."""
    if "kind:" not in text or "ConfigMap" not in text:
        return text
    try:
        docs = yamlio.load_documents(text, shown)
    except UserError:
        return text
    if len(docs) != 1 or not isinstance(docs[0][1], dict) or docs[0][1].get("kind") != "ConfigMap":
        return text
    data = docs[0][1].get("data")
    for key in OPERATOR_CONFIG_KEYS:
        if isinstance(data, dict) and isinstance(data.get(key), str):
            return data[key]
    raise UserError(Problem(f"a ConfigMap without data.{' or data.'.join(OPERATOR_CONFIG_KEYS)}", file=shown,
                            field="data"))
