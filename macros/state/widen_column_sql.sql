{#- Widen one column of a state table in place (an integer to 64 bits); `dependents` are
    the package's views that read the table. "" where the warehouse cannot (Spark's Parquet tables: the writer then records a value that does
    not fit as null, with why, in that row alone). -#}
{% macro widen_column_sql(relation, column, type, dependents=[]) %}
  {{ return(adapter.dispatch("widen_column_sql", "tessera")(relation, column, type, dependents)) }}
{% endmacro %}

{% macro default__widen_column_sql(relation, column, type, dependents=[]) %}
  {{ return("alter table " ~ relation ~ " alter column " ~ adapter.quote(column) ~ " type " ~ type) }}
{% endmacro %}

{% macro snowflake__widen_column_sql(relation, column, type, dependents=[]) %}
  {{ return("alter table " ~ relation ~ " alter column " ~ adapter.quote(column) ~ " set data type " ~ type) }}
{% endmacro %}

{% macro spark__widen_column_sql(relation, column, type, dependents=[]) %}
  {{ return("") }}
{% endmacro %}

{% macro bigquery__widen_column_sql(relation, column, type, dependents=[]) %}
  {{ return("") }}
{% endmacro %}

{#- PostgreSQL cannot retype a column a view reads: the package's views on the table go
    first (with what is built on them), and this build re-creates them. -#}
{% macro postgres__widen_column_sql(relation, column, type, dependents=[]) %}
  {% set drops = [] %}
  {% for view in dependents %}{% do drops.append("drop view if exists " ~ view ~ " cascade;\n") %}{% endfor %}
  {{ return(drops | join("") ~ "alter table " ~ relation ~ " alter column " ~ adapter.quote(column) ~ " type " ~ type) }}
{% endmacro %}
