"""Jobs: read a snapshot from a store, run the analysis, write one result run."""
