{#- Run one tessera operation in the brain and print its summary. The operation checks its
    arguments before writing anything. -#}
{% macro _operation(op, args) %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"op": op, "args": args}) %}
  {% set outcome = tessera._bridge("operation", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
