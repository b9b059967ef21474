"""The `shop` command: set-up, data import/export and the process runner. Starts web/actions/bot as processes."""
