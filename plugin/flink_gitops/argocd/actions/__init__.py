"""Argo CD resource actions for Flink custom resources: one definition, generated Lua.

* :mod:`.definition` - the actions, when they are enabled, and their reference semantics.
* :mod:`.luagen` - ``generate_action_files()``: Argo CD's ``actions/`` layout under ``lua/``.

What Argo CD does around the scripts (discovery parsing, ``cleanReturnedObj``, the merge patch it
sends) is reproduced for the tests in ``tests/action_runner.py``.
"""

from __future__ import annotations

from flink_gitops.argocd.actions.definition import ACTIONS, KINDS, actions_for
from flink_gitops.argocd.actions.luagen import generate_action_files

__all__ = ["ACTIONS", "KINDS", "actions_for", "generate_action_files"]
