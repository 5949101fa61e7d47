"""The `anct` command line: deploy, start, inspect and complete from a terminal or a script."""
