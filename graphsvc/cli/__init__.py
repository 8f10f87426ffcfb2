"""The command line: ``app`` (the group, errors and exit codes), ``context`` (what every command
gets), ``output`` and ``inputs`` (shared options and rendering), and one module per command
family (data, analysis, reading, runs, serving, seeds, db, apikey)."""

from graphsvc.cli.app import cli, main

__all__ = ["cli", "main"]
