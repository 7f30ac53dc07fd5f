"""The render engine behind ``flink-gitops render`` and the Argo CD config-management plugin.

Load an app folder (or delegate to kustomize / helm), then run a pipeline of small, pure
steps over the list of objects (see :mod:`flink_gitops.render.pipeline`). Imports nothing
heavy: this is the hot path of every Argo CD manifest generation.
"""
