{#- The (name, type) of the listed 64-bit integer columns an existing state table holds as
    a narrower integer (a table created by an older release): widened in place. -#}
{% macro _narrow_columns(found, columns) %}
  {% set narrow = [] %}
  {% set bigint = dbt.type_bigint() | lower %}
  {% for column in found %}
    {% for name, type in columns %}
      {% if column.name | lower == name and (type | lower) == bigint
            and (column.dtype | lower) in ("integer", "int", "int4", "int32", "smallint", "int2") %}
        {% do narrow.append((name, type)) %}
      {% endif %}
    {% endfor %}
  {% endfor %}
  {{ return(narrow) }}
{% endmacro %}
