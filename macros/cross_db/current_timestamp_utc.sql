{#- The current time in UTC as a timestamp without time zone: the form the state tables
    hold (tessera writes UTC), so windows such as "the last 24 hours" compare like with
    like whatever the session's time zone. -#}
{% macro current_timestamp_utc() %}
  {{ return(adapter.dispatch("current_timestamp_utc", "tessera")()) }}
{% endmacro %}

{% macro default__current_timestamp_utc() %}
  {{ return(dbt.current_timestamp_in_utc_backcompat()) }}
{% endmacro %}

{#- dbt's default reads the session's local time on DuckDB. -#}
{% macro duckdb__current_timestamp_utc() %}
  {{ return("cast(now() at time zone 'UTC' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}
