{#- A string column for long text (contract JSON, messages). -#}
{% macro type_long_text() %}
  {{ return(adapter.dispatch("type_long_text", "tessera")()) }}
{% endmacro %}

{% macro default__type_long_text() %}{{ return(dbt.type_string()) }}{% endmacro %}
{% macro redshift__type_long_text() %}{{ return("varchar(65535)") }}{% endmacro %}
{% macro postgres__type_long_text() %}{{ return("text") }}{% endmacro %}
