"""The ``flink-gitops`` command line: the root parser over the command modules in :mod:`flink_gitops.commands`.

Each command module exposes ``register(subparsers)`` (the arguments, and the handler as
``func``) and does its own printing. Command modules import nothing heavy at module level; lupa,
the ``kubernetes`` client and the like are imported inside the handler that needs them, so
``flink-gitops render`` never pays for them. A new command is one module and one line in
:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from flink_gitops import __version__, stdio
from flink_gitops.assess import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from flink_gitops.errors import UserError

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS = (
    "flink_gitops.commands.render",
    "flink_gitops.commands.health",
    "flink_gitops.commands.wait",
    "flink_gitops.commands.plan",
    "flink_gitops.commands.serve",
    "flink_gitops.commands.demo",
    "flink_gitops.commands.generate",
    "flink_gitops.commands.completion",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flink-gitops",
        description="Make Argo CD and Flux understand the Apache Flink Kubernetes Operator.",
    )
    parser.add_argument("--version", action="version", version=f"flink-gitops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    parser.set_defaults(root_parser=parser)  # for a command that describes the whole CLI (completion)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a full disk is reported here (below), not as a traceback at exit
        return code
    except UserError as exc:
        for problem in exc.problems:
            print(f"flink-gitops {args.command}: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:  # an object nested deeper than any Kubernetes object, met past the loader
        print(f"flink-gitops {args.command}: error: input is nested too deeply to process", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `flink-gitops render | head`
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # a write to stdout on a full disk
        if exc.errno not in stdio.WRITE_ERRORS:
            raise
        print(f"flink-gitops {args.command}: error: {stdio.output_error(exc).problems[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
