"""Everything that touches the disk for the knowledge base: reading, serving, editing."""
