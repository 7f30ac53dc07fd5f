"""``flink-gitops demo``: a simulated cluster, a simulated operator moving a fleet, and ``serve`` against it.

Nothing here touches a real cluster: the API server is :mod:`flink_gitops.simulation.apiserver` on
127.0.0.1 with a token made for this run, the kubeconfig names only it, and the child ``serve`` is
given that kubeconfig explicitly (``$KUBECONFIG`` is removed from its environment).
"""

from __future__ import annotations

DEFAULT_PORT = 8080
#: how long ``serve`` may take to answer with the fleet listed before the demo gives up
READY_TIMEOUT = 60.0
CONTEXT = "flink-gitops-demo"


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="try the live half without a cluster: a simulated cluster and operator, and the dashboard on it",
        description="Start a SIMULATED Kubernetes API server with a simulated Flink operator moving a fleet of "
        "Flink resources through their lifecycles (deploy, crash loop, rejected spec, suspend, upgrade, "
        "snapshots, blue/green), and `flink-gitops serve` against it on 127.0.0.1 (authentication off). Prints "
        "the dashboard URL and a kubeconfig for `health --cluster` and `wait`. Never reads your kubeconfig or "
        "touches a real cluster. Runs until Ctrl-C or SIGTERM.",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="PORT",
                   help=f"the dashboard's port on 127.0.0.1 (default: {DEFAULT_PORT})")
    p.add_argument("--write-kubeconfig", metavar="PATH",
                   help="write the simulated cluster's kubeconfig here (a new file, removed at exit; default: a "
                   "temporary folder)")
    p.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                   help="how fast the story moves: 1 is a step every 3 seconds, 2 twice as fast (default: 1)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import os
    import signal
    import tempfile
    import threading

    from flink_gitops.errors import UserError

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port}: expected a port between 1 and 65535")
    if not 0.01 <= args.speed <= 1000:  # also refuses nan
        raise UserError(f"--speed {args.speed}: expected a factor between 0.01 and 1000")
    _check_port(args.port)
    target = os.path.abspath(args.write_kubeconfig) if args.write_kubeconfig else None
    if target is not None:
        if os.path.lexists(target):
            raise UserError(f"--write-kubeconfig {args.write_kubeconfig}: exists; the demo writes a new file only "
                            "(remove it or choose another path)")
        if not os.path.isdir(os.path.dirname(target)):
            raise UserError(f"--write-kubeconfig {args.write_kubeconfig}: no such folder "
                            f"{os.path.dirname(target)}")

    stop = threading.Event()  # set by SIGINT or SIGTERM: the demo ends, exit 0

    def on_signal(_signum, _frame) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    folder = tempfile.mkdtemp(prefix="flink-gitops-demo-") if target is None else None
    kubeconfig = target or os.path.join(folder, "kubeconfig")
    demo = _Demo(args.port, args.speed, kubeconfig)
    try:
        demo.start(stop)
        if not stop.is_set():
            _print_banner(demo, temporary=target is None)
        while not stop.wait(0.5):
            if demo.child.poll() is not None:
                raise UserError(f"serve stopped unexpectedly (exit {demo.child.returncode}); the demo ends")
        return 0
    finally:
        demo.close()
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        for s, handler in previous.items():
            signal.signal(s, handler)


def _check_port(port: int) -> None:
    """The dashboard's port is free now (gunicorn would retry for seconds, then fail)."""
    import socket

    from flink_gitops.errors import UserError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UserError(f"--port {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror} "
                            "(choose another port with --port)") from None


#: Linux: the kernel sends serve SIGTERM when the demo dies (prctl PR_SET_PDEATHSIG, kept across exec), then serve
#: is exec'd in place; a demo already gone before that is noticed by the parent pid.
_STOP_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(0)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)


class _Demo:
    """The simulated cluster, its operator and the child ``serve``, started and stopped together."""

    def __init__(self, port: int, speed: float, kubeconfig: str):
        self.port, self.speed, self.kubeconfig = port, speed, kubeconfig
        self.url = f"http://127.0.0.1:{port}/"
        self.server = self.operator = self.child = None
        self._wrote = False
        self.ready_seconds = 0.0

    def start(self, stop) -> None:
        import secrets
        import time

        from flink_gitops.simulation.apiserver import ApiServer
        from flink_gitops.simulation.flink_operator import SimulatedOperator

        began = time.monotonic()
        # bookmarks every few seconds: the watches look alive without the chatter of the suite's half second
        self.server = ApiServer(token=secrets.token_urlsafe(32), bookmark_interval=5.0).start()
        self.operator = SimulatedOperator(self.server, speed=self.speed)
        self.operator.seed()
        self._write_kubeconfig()
        self.child = self._spawn_serve()
        self._wait_ready(stop)
        self.ready_seconds = time.monotonic() - began
        self.operator.start()  # the story moves once the dashboard shows where it starts

    def _write_kubeconfig(self) -> None:
        import os

        from flink_gitops.errors import UserError

        try:  # a new file only, readable by this user alone: it holds the simulated cluster's token
            os.close(os.open(self.kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:
            raise UserError(f"--write-kubeconfig {self.kubeconfig}: cannot create: {exc.strerror}") from None
        self._wrote = True
        self.server.kubeconfig(self.kubeconfig, context=CONTEXT, cluster="flink-gitops-demo-simulated-cluster")

    def _spawn_serve(self):
        import os
        import subprocess
        import sys

        # the child sees only the simulated cluster: no $KUBECONFIG, no FLINK_GITOPS_* of the user's service
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("FLINK_GITOPS_")}
        argv = [sys.executable, "-m", "flink_gitops", "serve", "--kubeconfig", self.kubeconfig, "--context", CONTEXT,
                "--auth", "none", "--bind", f"127.0.0.1:{self.port}", "--simulation", "--log-level", "warning"]
        if sys.platform.startswith("linux"):  # stopped with the demo even if the demo is killed (SIGKILL)
            argv = [sys.executable, "-c", _STOP_WITH_PARENT, str(os.getpid()), *argv[1:]]
        # its own process group: Ctrl-C reaches the demo, which stops serve in order
        return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait_ready(self, stop) -> None:
        """Until the dashboard's API lists every resource the simulated cluster holds (the story waits)."""
        import json
        import time
        import urllib.error
        import urllib.request

        from flink_gitops.errors import UserError

        expected = self.operator.present()
        deadline = time.monotonic() + READY_TIMEOUT
        while not stop.is_set():
            if self.child.poll() is not None:
                raise UserError(f"serve exited (code {self.child.returncode}) before it was ready; see its "
                                "messages above")
            try:
                with urllib.request.urlopen(self.url + "api/v1/resources", timeout=2) as resp:
                    if len(json.load(resp).get("resources") or ()) >= expected:
                        return
            except (OSError, ValueError):
                pass  # not listening yet, or not answering yet
            if time.monotonic() > deadline:
                raise UserError(f"serve did not list the simulated fleet within {READY_TIMEOUT:.0f} s")
            stop.wait(0.1)

    def close(self) -> None:
        import os
        import subprocess

        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(15)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        if self.operator is not None:
            self.operator.stop()
        if self.server is not None:
            self.server.stop()
        if self._wrote:
            try:
                os.unlink(self.kubeconfig)
            except OSError:
                pass


def _command() -> str:
    """How to call this CLI again from the user's shell: ``flink-gitops`` if that is what PATH finds."""
    import os
    import shutil
    import sys

    script = sys.argv[0]
    found = shutil.which("flink-gitops")
    if os.path.basename(script) == "flink-gitops":
        if found and os.path.realpath(found) == os.path.realpath(script):
            return "flink-gitops"
        return script
    return f"{sys.executable} -m flink_gitops"


def _print_banner(demo: _Demo, temporary: bool) -> None:
    import shlex

    cli, kc = _command(), shlex.quote(demo.kubeconfig)
    kinds = sorted({r.kind for r in demo.operator.fleet})
    namespaces = sorted({r.namespace for r in demo.operator.fleet})
    lines = [
        "flink-gitops demo: a SIMULATION. The cluster, the Flink operator and every job below are simulated in",
        "this process; no real cluster is read or touched, and your kubeconfig is not used.",
        "",
        f"  Dashboard   {demo.url}",
        "              (flink-gitops serve on 127.0.0.1 with authentication off: local use only)",
        f"  Kubeconfig  {demo.kubeconfig}",
        f"              (the simulated cluster only; {'removed' if temporary else 'this file is removed'} at exit)",
        f"  Fleet       {len(demo.operator.fleet)} resources ({', '.join(kinds)}) in namespaces "
        f"{', '.join(namespaces)}; a story step every {demo.operator.interval:g} s",
        f"  Ready in    {demo.ready_seconds:.1f} s",
        "",
        "Try:",
        f"  {cli} health --cluster -A --kubeconfig {kc}",
        f"  {cli} wait flinkdeployment/orders-enrichment -n streaming --timeout 2m --kubeconfig {kc}",
        f"  curl -s {demo.url}api/v1/resources",
        "",
        "serve's log follows on stderr: one line per health transition. Ctrl-C (or SIGTERM) stops the demo.",
    ]
    print("\n".join(lines), flush=True)
