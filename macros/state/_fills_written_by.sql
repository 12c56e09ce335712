{#- The hook or an operation creating the event log: the database fills written_by. -#}
{% macro _fills_written_by(relation, columns) %}
  {% set fills = tessera.written_by_default_sql(relation) if "written_by" in columns | map(attribute=0) | list else none %}
  {{ return(";\n" ~ fills if fills else "") }}
{% endmacro %}
