"""Reading a finished run: the current run (``current``), two runs compared (``diff``), a run
written as files (``export``), community names (``labels``) and a stored row in words
(``explain``). Above the stores, below the CLI, the API and the dashboard."""
