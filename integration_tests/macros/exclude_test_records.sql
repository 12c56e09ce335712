{#
    The `where` clause that keeps QA records out of staging. With tessera_it_failing the filter
    is dropped, as if it had regressed, and the QA rows reach the marts.
#}
{% macro exclude_test_records(column='is_test') %}
    {%- if not tessera_it_failing() -%}
    where not {{ column }}
    {%- endif -%}
{% endmacro %}
