{#- DDL for a missing state table, through dbt's own dispatched create_table_as. -#}
{% macro create_state_table_sql(relation, columns) %}
  {{ return(adapter.dispatch("create_state_table_sql", "tessera")(relation, columns)) }}
{% endmacro %}

{#- `if not exists`: a concurrent build (or the hook of one) may have created it since
    dbt looked; the statement then leaves the table as it is. -#}
{% macro default__create_state_table_sql(relation, columns) %}
  {{ return("create table if not exists " ~ relation ~ " as " ~ tessera.empty_table(columns)) }}
{% endmacro %}

{#- Redshift's CTAS has no `if not exists`: dbt's own create_table_as. -#}
{% macro redshift__create_state_table_sql(relation, columns) %}
  {{ return(create_table_as(false, relation, tessera.empty_table(columns))) }}
{% endmacro %}

{#- Spark without a table format writes Hive text tables (a newline in a value splits the
    row): the state tables are Parquet, whether the model or the hook creates them. -#}
{% macro spark__create_state_table_sql(relation, columns) %}
  {{ return("create table if not exists " ~ relation ~ " using " ~ tessera.state_file_format() ~ " as " ~ tessera.empty_table(columns)) }}
{% endmacro %}

{#- The file_format of the state tables (model config and the hook's DDL): the
    `state_file_format` setting, else the adapter's default (Spark: parquet, Databricks:
    delta), none where the adapter has no such config. -#}
{% macro state_file_format() %}
  {% set chosen = tessera.setting("state_file_format") %}
  {% if chosen %}{{ return(chosen) }}{% endif %}
  {{ return(adapter.dispatch("state_file_format", "tessera")()) }}
{% endmacro %}

{% macro default__state_file_format() %}{{ return(none) }}{% endmacro %}
{% macro spark__state_file_format() %}{{ return("parquet") }}{% endmacro %}
{% macro databricks__state_file_format() %}{{ return("delta") }}{% endmacro %}
