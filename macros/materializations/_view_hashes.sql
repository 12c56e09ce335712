{#- The relations in `schemas` of `database` where the package's views live, as rows
    (schema, name, kind, comment): one catalog query, the comment holding the hash of the
    definition a view was created from (tessera_dbt.artifacts.package_views). None where
    the adapter keeps no such hash: there the views are nodes of every build (the plugin
    leaves them in the selection) and re-created by each. -#}
{% macro _view_hashes(database, schemas) %}
  {{ return(adapter.dispatch("_view_hashes", "tessera")(database, schemas)) }}
{% endmacro %}

{% macro default___view_hashes(database, schemas) %}{{ return(none) }}{% endmacro %}

{% macro postgres___view_hashes(database, schemas) %}
  {% set listed = [] %}{% for s in schemas %}{% do listed.append(tessera._string_literal(s)) %}{% endfor %}
  {% set found = run_query("select n.nspname, c.relname, case when c.relkind = 'v' then 'view' else 'table' end, obj_description(c.oid, 'pg_class') from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'v', 'm', 'p', 'f') and n.nspname in (" ~ listed | join(", ") ~ ")") %}
  {{ return(found.rows) }}
{% endmacro %}

{% macro duckdb___view_hashes(database, schemas) %}
  {% set listed = [] %}{% for s in schemas %}{% do listed.append(tessera._string_literal(s)) %}{% endfor %}
  {% set where = "database_name = " ~ tessera._string_literal(database) ~ " and schema_name in (" ~ listed | join(", ") ~ ")" %}
  {% set found = run_query("select schema_name, view_name, 'view', comment from duckdb_views() where not internal and " ~ where ~ " union all select schema_name, table_name, 'table', comment from duckdb_tables() where " ~ where) %}
  {{ return(found.rows) }}
{% endmacro %}
