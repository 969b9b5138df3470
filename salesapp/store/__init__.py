"""The durable job queue and result store on diskcache (Qt-free, JSON only, never pickle)."""
