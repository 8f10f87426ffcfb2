"""The service's own state, beside the graph store: API keys, jobs and their progress
(``state``), and the runner that executes jobs in the background (``runner``)."""
