{#- dbt-duckdb < 1.11.1 leaves the insert column list of a contracted table unquoted, so a
    column with `quote: true` (models/commerce/hostile_names) breaks the build there. The
    root project's macro of the same name wins over the adapter's; same body as 1.11.1. -#}
{% macro get_column_names() %}
    {%- set user_provided_columns = model['columns'] -%}
    (
    {% for i in user_provided_columns %}
      {% set col = user_provided_columns[i] %}
      {% set col_name = adapter.quote(col['name']) if col.get('quote') else col['name'] %}
      {{ col_name }} {{ "," if not loop.last }}
    {% endfor %}
  )
{% endmacro %}
