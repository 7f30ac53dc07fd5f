"""The validator and its helpers: :mod:`.validator` (the entry point, ``validate_objects``) and:

``flinkconf``: the Flink configuration the operator's validator sees (flattening, defaults, typed
reads); ``quantities``: Flink memory sizes, Kubernetes quantities, durations; ``periods``: the
autoscaler's excluded periods (daily ranges and Quartz cron); ``registry``: every rule once (id,
summary, operator quote, fix, example, the operator release that brought it; ``examples``: the manifests
examples start from); ``operator_releases``: the operator releases validation follows and what each
changed; ``rules``: the checks, one module per concern.
Standard library only: this runs on every render.
"""
