"""Column lineage from compiled SQL: which columns each downstream node reads, which consumer
teams a change reaches, the cache, and `tessera impact`."""
