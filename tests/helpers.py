"""Helpers the tests import by name (fixtures live in conftest.py, which no test imports)."""

from __future__ import annotations

from pathlib import Path


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from flink_gitops.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# A stand-in for the sidecar's kustomize/helm: records how it was called, then prints a canned
# stream (or fails with $RECORDER_FAIL). The real helm is not available here.
RECORDER = """#!/bin/sh
{{
  printf 'argv:'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'
  printf 'cwd: %s\\n' "$(pwd)"
}} >> "{record}"
if [ -n "$RECORDER_FAIL" ]; then echo "Error: $RECORDER_FAIL" >&2; exit 1; fi
cat "{canned}"
"""


def install_recorder(tmp_path: Path, name: str, canned: str) -> Path:
    """Put a recording ``name`` executable in ``tmp_path/bin``; returns that folder (for PATH)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (tmp_path / f"{name}.out").write_text(canned)
    exe = bindir / name
    exe.write_text(RECORDER.format(record=tmp_path / f"{name}.record", canned=tmp_path / f"{name}.out"))
    exe.chmod(0o755)
    return bindir
