"""Run the `mmbot` CLI inside the test process (no fresh interpreter): exit code back, output
on sys.stdout / sys.stderr for capsys. For bad-input checks that only need the exit code and
the one-line error; tests/e2e/_cli.py runs the CLI as a user does, in a fresh interpreter."""

from __future__ import annotations

from mmbot.cli.app import main


def run_cli(*args: str) -> int:
    """Run `mmbot args...` through the console script's entry point; return its exit code.

    The environment and the working directory are the caller's (set them with monkeypatch).
    """
    try:
        main(list(args))
    except SystemExit as exited:
        assert isinstance(exited.code, int), exited.code
        return exited.code
    raise AssertionError("mmbot's main() returned instead of exiting")
