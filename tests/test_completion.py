"""``flink-gitops completion bash|zsh``: the printed script, loaded into real bash and real zsh, completes the
commands, options, fixed choices and file names of the real parser."""

from __future__ import annotations

import argparse
import shutil
import subprocess

import pytest

from flink_gitops.cli import build_parser
from tests.helpers import run_cli

pytestmark = pytest.mark.e2e


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def script(shell: str) -> str:
    code, out, err = run_cli("completion", shell)
    assert (code, err) == (0, "")
    return out


# -- bash --------------------------------------------------------------------------------------------------------

BASH_DRIVER = r"""
source <(flink-gitops completion bash)
func=$(complete -p flink-gitops | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
read -r -a COMP_WORDS <<< "$LINE"
[[ $LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$LINE; COMP_POINT=${#LINE}; COMPREPLY=()
"$func" flink-gitops "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(line: str, cli_env: dict, cwd) -> list[str]:
    """What TAB offers after ``line`` in bash, with the script loaded the way the README says
    (``source <(flink-gitops completion bash)``) and the function that ``complete`` registered."""
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", BASH_DRIVER], capture_output=True, text=True,
                            env=dict(cli_env, LINE=line), cwd=cwd, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [word for word in result.stdout.splitlines() if word]


def test_bash_completes_commands_options_choices_and_files(cli_env, repo):
    assert bash_complete("flink-gitops ", cli_env, repo) == commands()
    assert "completion" in commands()
    assert bash_complete("flink-gitops generate ", cli_env, repo) == ["lua", "docs", "bundle", "flux", "monitoring", "argocd-cm",
                                                                      "all"]
    assert bash_complete("flink-gitops render --ta", cli_env, repo) == ["--target"]
    assert bash_complete("flink-gitops render --target ", cli_env, repo) == ["argocd", "flux"]
    assert bash_complete("flink-gitops health --engine ", cli_env, repo) == ["argocd", "flux"]
    assert bash_complete("flink-gitops completion ", cli_env, repo) == ["bash", "zsh"]
    assert set(bash_complete("flink-gitops wait --", cli_env, repo)) >= {"--namespace", "--timeout", "--kubeconfig"}
    # where a command takes files, file and folder names
    assert bash_complete("flink-gitops health examples/li", cli_env, repo) == ["examples/live"]
    assert bash_complete("flink-gitops render examples/ap", cli_env, repo) == ["examples/app"]
    assert bash_complete("flink-gitops health --kubeconfig pyproj", cli_env, repo) == ["pyproject.toml"]


def test_bash_script_follows_the_parser_not_a_copy_of_it(cli_env, repo, monkeypatch):
    """A new command or choice shows up in the script with nothing else to change."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("brand-new-command", help="new").add_argument("--brand-new-option", choices=("one", "two"))
    monkeypatch.setattr("flink_gitops.cli.build_parser", lambda: parser)
    text = script("bash")
    assert "brand-new-command" in text and "--brand-new-option" in text and "(one two)" in text


def test_an_unknown_shell_is_refused_with_the_choices(cli_env):
    result = subprocess.run(["flink-gitops", "completion", "fish"], capture_output=True, text=True, env=cli_env,
                            timeout=30)
    assert (result.returncode, result.stdout) == (2, "")
    assert "invalid choice: 'fish'" in result.stderr and "bash" in result.stderr and "zsh" in result.stderr


def test_completion_help_says_how_to_install(cli_env):
    result = subprocess.run(["flink-gitops", "completion", "--help"], capture_output=True, text=True, env=cli_env,
                            timeout=30)
    assert result.returncode == 0
    assert "source <(flink-gitops completion bash)" in result.stdout
    assert "_flink-gitops" in result.stdout  # the file name zsh looks for on $fpath


# -- zsh ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def zsh_fpath(tmp_path):
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed (make test installs it with apt-get when run as root)")
    folder = tmp_path / "fpath"
    folder.mkdir()
    (folder / "_flink-gitops").write_text(script("zsh"))  # as the --help says: a file _flink-gitops on $fpath
    return folder


def zsh_complete(line: str, fpath, cli_env: dict, cwd, repo) -> list[str]:
    result = subprocess.run(["zsh", "-f", str(repo / "tests" / "zsh_complete.zsh"), str(fpath), line],
                            capture_output=True, text=True, env=cli_env, cwd=cwd, timeout=60)
    assert result.returncode == 0, result.stderr
    return list(dict.fromkeys(result.stdout.splitlines()))  # zsh may offer a match twice (two groups)


def test_zsh_completes_commands_options_choices_and_files(zsh_fpath, cli_env, repo):
    def offers(line):
        return zsh_complete(line, zsh_fpath, cli_env, repo, repo)

    assert sorted(offers("flink-gitops ")) == sorted(commands())
    assert offers("flink-gitops generate ") == ["lua", "docs", "bundle", "flux", "monitoring", "argocd-cm", "all"]
    assert "--target" in offers("flink-gitops render --ta")
    assert offers("flink-gitops render --target ") == ["argocd", "flux"]
    assert offers("flink-gitops completion ") == ["bash", "zsh"]
    files = offers("flink-gitops health examples/li")  # _files also adds the folders on the way
    assert "live" in files and "app" not in files


def test_zsh_describes_each_command_by_its_one_line_help(zsh_fpath):
    text = (zsh_fpath / "_flink-gitops").read_text()
    assert text.startswith("#compdef flink-gitops")
    assert "completion:'print a shell completion script (bash or zsh)'" in text
    assert "Parameters come from Argo CD" not in text  # render's long description stays in --help
