"""Stage 1, load: read the repository's files into YAML documents with positions (file I/O)."""
