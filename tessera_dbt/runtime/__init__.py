"""Inside dbt, and the only code importing dbt-core: the bridge (`modules.tessera`), the live
invocation, the on-run-end hook, the operations, compilation, notifications, audit ingest
and report, the dbtRunner harness."""
