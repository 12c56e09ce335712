{#- The statements that make `relation` the view of `sql`, keeping `hash` (the hash of its
    definition, tessera_dbt.artifacts.package_views) as its comment where the adapter can
    (tessera._view_hash, and the hook's catalog query, read it back); run in one transaction. `replaces` is the kind of
    relation found there ("table": dropped first), or none. -#}
{% macro _replace_view_sql(relation, sql, hash, replaces=none) %}
  {{ return(adapter.dispatch("_replace_view_sql", "tessera")(relation, sql, hash, replaces)) }}
{% endmacro %}

{% macro default___replace_view_sql(relation, sql, hash, replaces=none) %}
  {% set out = ["drop table if exists " ~ relation] if replaces == "table" else [] %}
  {{ return(out + ["create or replace view " ~ relation ~ " as " ~ sql]) }}
{% endmacro %}

{% macro duckdb___replace_view_sql(relation, sql, hash, replaces=none) %}
  {% set out = tessera.default___replace_view_sql(relation, sql, hash, replaces) %}
  {{ return(out + (["comment on view " ~ relation ~ " is " ~ tessera._string_literal(hash)] if hash else [])) }}
{% endmacro %}

{#- PostgreSQL's `create or replace view` cannot drop, rename or retype a column: drop and
    create in the same transaction instead (readers see the old view or the new one;
    `cascade` as dbt's own view materialization does: the package views built on this one
    are re-created after it, in dependency order). -#}
{% macro postgres___replace_view_sql(relation, sql, hash, replaces=none) %}
  {% set out = ["drop table if exists " ~ relation ~ " cascade"] if replaces == "table" else ["drop view if exists " ~ relation ~ " cascade"] %}
  {% do out.append("create view " ~ relation ~ " as " ~ sql) %}
  {% if hash %}{% do out.append("comment on view " ~ relation ~ " is " ~ tessera._string_literal(hash)) %}{% endif %}
  {{ return(out) }}
{% endmacro %}
