"""Helpers of :mod:`flink_gitops.render.validate` (the entry point).

``flinkconf``: the Flink configuration the operator's validator sees (flattening, defaults, typed
reads); ``quantities``: Flink memory sizes, Kubernetes quantities, durations; ``periods``: the
autoscaler's excluded periods (daily ranges and Quartz cron); ``rules``: the checks themselves.
Standard library only: this runs on every render.
"""
