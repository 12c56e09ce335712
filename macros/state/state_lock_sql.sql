{#- SQL that makes this session the only writer of the state until its transaction ends:
    taken by StateStore.exclusive() (operations and the on-run-end hook: read, decide,
    write) and by the package's materializations (creating the state tables and views), so
    concurrent dbt processes serialise their decisions and their DDL. Keyed by the state
    schema, so states in other schemas never wait on each other. Empty where the warehouse
    has no such lock (then deterministic ids and first-wins folds keep racing writers to
    one outcome, docs/architecture.md). -#}
{% macro state_lock_sql() %}
  {{ return(adapter.dispatch("state_lock_sql", "tessera")()) }}
{% endmacro %}

{% macro default__state_lock_sql() %}{{ return("") }}{% endmacro %}

{#- A transaction-level advisory lock: released by COMMIT or ROLLBACK, and by the server
    when a session dies, so a killed dbt never leaves it held. -#}
{% macro postgres__state_lock_sql() %}
  {% set node = graph.nodes.get("model.tessera.tessera_events") %}
  {% if node is none %}{{ return("") }}{% endif %}
  {% set key = "tessera:" ~ node.database ~ "." ~ node.schema %}
  {{ return("select pg_advisory_xact_lock(hashtext(" ~ tessera._string_literal(key) ~ "))") }}
{% endmacro %}
