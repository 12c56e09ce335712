{#- Run one brain operation for a `dbt run-operation` macro: hand over the invocation (and
    `extra`, e.g. the marts it reads) with the operation's --args, print each line it
    returns, and fail with its error when it gives one (drift found, say). -#}
{% macro _bridge_operation(op, args, extra={}) %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": args}) %}
  {% do payload.update(extra) %}
  {% set outcome = tessera._bridge(op, payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {% do exceptions.raise_compiler_error(outcome["error"]) %}
  {% endif %}
  {{ return("") }}
{% endmacro %}
