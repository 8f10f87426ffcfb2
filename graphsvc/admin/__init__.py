"""Administration of a local Neo4j server: running a home of its own (``local``), the files of
a first load by ``neo4j-admin database import`` (``import_files``) and that load from input
files (``bulk_import``, for ``graphsvc db import``). Storage itself is ``graphsvc.store``."""
