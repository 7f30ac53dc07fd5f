"""The ``flink-gitops`` command line.

Each sub-command lives in :mod:`flink_gitops.commands` and exposes ``register(subparsers)``.
Command modules import only argparse at module level; heavy imports (lupa, ...) happen inside
the command that needs them, so ``flink-gitops render`` never pays for the health runner.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from flink_gitops import __version__
from flink_gitops.errors import UserError

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS = ("render", "health", "generate", "wait", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flink-gitops",
        description="Make Argo CD and Flux understand the Apache Flink Kubernetes Operator.",
    )
    parser.add_argument("--version", action="version", version=f"flink-gitops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"flink_gitops.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        for problem in exc.problems:
            print(f"flink-gitops {args.command}: error: {problem}", file=sys.stderr)
        return 2
    except RecursionError:  # an object nested deeper than any Kubernetes object, met past the loader
        print(f"flink-gitops {args.command}: error: input is nested too deeply to process", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `flink-gitops render | head`
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
