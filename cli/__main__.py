"""`python -m cli` is the `shop` command (how `shop run` starts its own subcommands as processes)."""

from cli.main import main

main()
