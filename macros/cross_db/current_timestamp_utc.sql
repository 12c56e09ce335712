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

{#- dbt-spark's default is `current_timestamp::timestamp`, which Spark 3.5 cannot parse
    (`::` arrived in Spark 4). Spark's timestamp is session-local: shift now() so that it
    reads as the UTC wall clock, like the UTC literals tessera writes. -#}
{% macro spark__current_timestamp_utc() %}
  {{ return("to_utc_timestamp(current_timestamp(), current_timezone())") }}
{% endmacro %}
