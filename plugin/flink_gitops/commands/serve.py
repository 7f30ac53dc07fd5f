"""``flink-gitops serve``: the health service under gunicorn (API, metrics, dashboard)."""

from __future__ import annotations

DEFAULT_BIND = "127.0.0.1:8080"


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="watch the cluster and serve Flink health over HTTP: JSON API, /metrics, a dashboard",
        description="Watch the Flink resources of a cluster and serve their health (what Argo CD shows) over HTTP: "
        "/ (dashboard), /api/v1/resources, /metrics, /livez, /readyz. Runs gunicorn with one worker holding "
        "the watch cache; stops on SIGTERM.",
    )
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, "
                   "or the pod's service account)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context (default: its current-context)")
    p.add_argument("-n", "--namespace", dest="namespaces", action="append", default=[], metavar="NS",
                   help="watch only this namespace (repeatable; default: all namespaces)")
    p.add_argument("--bind", metavar="HOST:PORT", help=f"listen address (default: $FLINK_GITOPS_BIND, else {DEFAULT_BIND})")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="request threads (default: $FLINK_GITOPS_THREADS, else 32)")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    p.add_argument("--log-format", choices=("text", "json"), default=None,
                   help="text (gunicorn's lines) or json (one object per line: time, level, logger, message, and "
                   "each health transition's fields) (default: $FLINK_GITOPS_LOG_FORMAT, else text)")
    p.add_argument("--watch-idle-timeout", metavar="SECONDS", default=None,
                   help="a watch that delivers no event and no bookmark for this long is taken for stalled: it is "
                   "watched again and its kind reported failing until it delivers (default: "
                   # the reflector's WATCH_IDLE_TIMEOUT, written out: the parser imports no cluster module
                   "$FLINK_GITOPS_WATCH_IDLE_TIMEOUT, else 180)")
    p.add_argument("--auth", metavar="MODE", default=None,
                   help="kubernetes (default; also $FLINK_GITOPS_AUTH): every request but the probes and the "
                   "dashboard's page needs a bearer token, checked with a TokenReview, and sees only the "
                   "namespaces where it may list each Flink kind (SubjectAccessReview); "
                   "none: no authentication, everything open to whoever reaches the port (local use)")
    p.add_argument("--simulation", action="store_true",
                   help="label the dashboard and API as showing a simulated cluster (set by `flink-gitops demo`)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from flink_gitops.errors import UserError
    from flink_gitops.service.preflight import check_bind, check_cluster_config

    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    if any(not ns.strip() for ns in args.namespaces):
        raise UserError("--namespace must name a namespace (leave it out to watch all namespaces)")
    auth = _auth(args.auth)
    from flink_gitops.service.settings import EvaluateLimits, from_env, seconds, server_from_env

    try:  # the FLINK_GITOPS_* settings of the environment, checked before anything starts
        server_from_env()
        EvaluateLimits.from_env()
        idle = seconds(args.watch_idle_timeout, "--watch-idle-timeout") if args.watch_idle_timeout is not None \
            else from_env().watch_idle_timeout
    except ValueError as exc:
        raise UserError(str(exc)) from None
    from flink_gitops.service.server import effective_settings, serve

    check_bind(effective_settings({"bind": [args.bind] if args.bind else None})["bind"][0])
    check_cluster_config(args.kubeconfig, args.context)

    config = {"KUBECONFIG": args.kubeconfig, "CONTEXT": args.context, "NAMESPACES": tuple(args.namespaces),
              "WATCH": True, "WATCH_IDLE_TIMEOUT": idle, "AUTH": auth,
              "SIMULATION": args.simulation}
    serve(config, args.bind, args.threads, args.log_level, args.log_format)
    return 0


def _auth(flag: str | None) -> str:
    """--auth, else $FLINK_GITOPS_AUTH, else the default; a bad value is one error line."""
    import os

    from flink_gitops.errors import UserError
    from flink_gitops.service.settings import DEFAULT_AUTH, auth_mode

    value, where = (flag, "--auth") if flag is not None else \
        (os.environ.get("FLINK_GITOPS_AUTH") or DEFAULT_AUTH, "$FLINK_GITOPS_AUTH")
    try:
        return auth_mode(value, where)
    except ValueError as exc:
        raise UserError(str(exc)) from None
