"""``flink-gitops completion bash|zsh``: print a shell completion script generated from the real parser (shtab)."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh")

DESCRIPTION = """\
Print a completion script for SHELL on stdout, generated from this flink-gitops's own parser: every
command, option and fixed choice, and file names where a command takes files.

bash, for every new shell (bash-completion loads it on first use):
  mkdir -p ~/.local/share/bash-completion/completions
  flink-gitops completion bash > ~/.local/share/bash-completion/completions/flink-gitops
bash, for this shell only:
  source <(flink-gitops completion bash)

zsh: a file named _flink-gitops in a folder on $fpath, then a new shell:
  mkdir -p ~/.zfunc && flink-gitops completion zsh > ~/.zfunc/_flink-gitops
  and in ~/.zshrc, before compinit:  fpath=(~/.zfunc $fpath)
"""


def register(sub) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    p.set_defaults(func=_run)


def _prepare(parser: argparse.ArgumentParser, seen: set[int] | None = None) -> None:
    """Ready the parser for shtab: arguments with metavar FILE and the positional ``path`` complete file and
    folder names, metavar DIR folder names; a sub-command is described by its one-line help (zsh shows it
    beside the name), not its long description. Every sub-command's parser is visited."""
    import shtab

    seen = set() if seen is None else seen
    if id(parser) in seen:  # an alias shares its command's parser
        return
    seen.add(id(parser))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.description = None  # shtab then takes the command's help
                _prepare(child, seen)
        elif action.metavar == "FILE" or (not action.option_strings and action.dest == "path"):
            action.complete = shtab.FILE
        elif action.metavar == "DIR":
            action.complete = shtab.DIRECTORY


def _run(args) -> int:
    import shtab

    parser = args.root_parser
    _prepare(parser)  # this process only prints the script: the parser is not used again
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0
