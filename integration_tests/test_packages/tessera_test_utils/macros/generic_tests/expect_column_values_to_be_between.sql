{#
    Fails on each row whose column value lies outside [min_value, max_value]; either bound may be
    omitted. Nulls pass (pair it with not_null). Named and shaped after dbt_expectations'
    expect_column_values_to_be_between.
#}
{% test expect_column_values_to_be_between(model, column_name, min_value=none, max_value=none) %}
    {{ return(adapter.dispatch('test_expect_column_values_to_be_between', 'tessera_test_utils')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_expect_column_values_to_be_between(model, column_name, min_value, max_value) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("expect_column_values_to_be_between: give min_value, max_value or both") }}
    {%- endif -%}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
      1 = 0
      {%- if min_value is not none %}
      or {{ column_name }} < {{ min_value }}
      {%- endif %}
      {%- if max_value is not none %}
      or {{ column_name }} > {{ max_value }}
      {%- endif %}
  )
{% endmacro %}
