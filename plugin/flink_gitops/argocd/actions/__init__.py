"""Argo CD resource actions for Flink custom resources: one definition, generated Lua.

* :mod:`.definition` - the actions, when they are enabled, and their reference semantics.
* :mod:`.luagen` - ``render_action_files()``: Argo CD's ``actions/`` layout under ``lua/``.
* :mod:`.runner` - what Argo CD does around the scripts (discovery parsing, ``cleanReturnedObj``,
  the merge patch it sends), for tests.
"""

from __future__ import annotations

from flink_gitops.argocd.actions.definition import ACTIONS, KINDS, actions_for
from flink_gitops.argocd.actions.luagen import render_action_files

__all__ = ["ACTIONS", "KINDS", "actions_for", "render_action_files"]
