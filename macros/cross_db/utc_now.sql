{#- The current time as a timestamp without time zone in UTC: the state tables record UTC
    (the brain writes naive UTC datetimes), and a session time zone must not shift windows
    such as a proposal's expiry or an audit trend's 24 hours. -#}
{% macro utc_now() %}
  {{ return(adapter.dispatch("utc_now", "tessera")()) }}
{% endmacro %}

{% macro default__utc_now() -%}
  {{ dbt.current_timestamp_in_utc_backcompat() }}
{%- endmacro %}

{% macro duckdb__utc_now() -%}
  cast(now() at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}
