{#- A typed, empty select: the body of the state models and of the tables the hook creates
    when they are missing. -#}
{% macro empty_table(columns) %}
  {{ return(adapter.dispatch("empty_table", "tessera")(columns)) }}
{% endmacro %}

{% macro default__empty_table(columns) %}
select
  {%- for name, type in columns %}
    cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
  {%- endfor %}
where 1 = 0
{% endmacro %}
