"""``python -m graphsvc.cli``: the ``graphsvc`` command."""

from graphsvc.cli.app import main

main()
