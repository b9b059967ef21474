"""Starts Rasa with its API token taken from the environment, so the token never appears on a command line.

Run by .venv-rasa's Python (3.10; nothing of ours is imported): `python -m cli.rasa_launcher run --model ...`.
Rasa 3.6 reads its options only from argv, and a process's command line is readable by every user of the machine
(`ps`), while its environment is readable only by its own user. So `shop run` passes RASA_API_TOKEN in the
environment, and this adds `--auth-token` to Rasa's own argv in this process: /proc/<pid>/cmdline keeps the
command as it was started, without it.
"""

import os
import runpy
import sys
from collections.abc import Mapping

TOKEN_VARIABLE = "RASA_API_TOKEN"


def rasa_argv(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """Rasa's arguments with the token added; SystemExit when there is no token (the API never runs unguarded)."""
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise SystemExit(f"{TOKEN_VARIABLE} is not set: Rasa's HTTP API is never started without a token")
    return ["rasa", *argv, "--auth-token", token]


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:], os.environ)
    runpy.run_module("rasa", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
