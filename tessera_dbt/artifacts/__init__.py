"""dbt's shapes, read without dbt-core: artifacts (manifest, run results, sources), nodes,
contract documents, tests → guarantees, consumer discovery and the one downstream walk."""
