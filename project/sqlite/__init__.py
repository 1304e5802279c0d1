"""SQLite with writers queued by the kernel (``project.sqlite.base``); the embedded default's database backend."""
