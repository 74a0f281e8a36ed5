"""Everything that touches the disk: the knowledge files, the data directory's caches."""
