{#
    Fails on each row where the SQL expression is not true. With column_name, the expression is
    appended to the column (`expression: ">= 0"`). Named and shaped after dbt_utils.expression_is_true.
#}
{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'tessera_test_utils')(model, expression, column_name)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name) %}
select *
from {{ model }}
{%- if column_name is none %}
where not ({{ expression }})
{%- else %}
where not ({{ column_name }} {{ expression }})
{%- endif %}
{% endmacro %}
