"""Everything Argo CD runs: the Lua sandbox, the health scripts, resource actions, the argocd-cm bundle.

Importing this package is cheap; lupa is imported only by :mod:`.sandbox`.
"""
