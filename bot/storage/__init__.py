"""Reading and writing what the bot keeps on disk (knowledge files, snapshots, caches)."""
