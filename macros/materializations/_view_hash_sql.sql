{#- SQL that keeps `hash` with the view (its comment), or "" where the adapter keeps none. -#}
{% macro _view_hash_sql(relation, hash) %}
  {{ return(adapter.dispatch("_view_hash_sql", "tessera")(relation, hash)) }}
{% endmacro %}

{% macro default___view_hash_sql(relation, hash) %}{{ return("") }}{% endmacro %}

{% macro postgres___view_hash_sql(relation, hash) %}
  {{ return("comment on view " ~ relation ~ " is " ~ tessera._string_literal(hash)) }}
{% endmacro %}

{% macro duckdb___view_hash_sql(relation, hash) %}
  {{ return("comment on view " ~ relation ~ " is " ~ tessera._string_literal(hash)) }}
{% endmacro %}
