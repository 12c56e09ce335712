{#- The hash kept with a package view (its comment: the hash of the definition it was
    created from, tessera_dbt.artifacts.package_views), or none where the adapter keeps
    none. The on-run-end hook reads every view's at once (runtime.package.CATALOG_SQL,
    the same catalog); the adapters here are the ones it lists. -#}
{% macro _view_hash(relation) %}
  {{ return(adapter.dispatch("_view_hash", "tessera")(relation)) }}
{% endmacro %}

{% macro default___view_hash(relation) %}{{ return(none) }}{% endmacro %}

{% macro postgres___view_hash(relation) %}
  {% set found = run_query("select obj_description(to_regclass(" ~ tessera._string_literal(relation.include(database=false) | string) ~ "), 'pg_class')") %}
  {{ return(found.rows[0][0] if found.rows else none) }}
{% endmacro %}

{% macro duckdb___view_hash(relation) %}
  {% set found = run_query("select comment from duckdb_views() where database_name = " ~ tessera._string_literal(relation.database) ~ " and schema_name = " ~ tessera._string_literal(relation.schema) ~ " and view_name = " ~ tessera._string_literal(relation.identifier)) %}
  {{ return(found.rows[0][0] if found.rows else none) }}
{% endmacro %}
