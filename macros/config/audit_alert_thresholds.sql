{#- The audit alert thresholds: vars.tessera.audit_alerts over the defaults, key by key
    (a project may set only the one it cares about). Each must be a number: they are
    rendered into the SQL of tessera_audit_alerts. -#}
{% macro audit_alert_thresholds() %}
  {% set defaults = tessera.default_settings()["audit_alerts"] %}
  {% set given = tessera.setting("audit_alerts") %}
  {% if given is not mapping %}
    {% do exceptions.raise_compiler_error("tessera: vars.tessera.audit_alerts must be a mapping, e.g. {min_runs_24h: 3}; got: " ~ given) %}
  {% endif %}
  {% set merged = {} %}
  {% do merged.update(defaults) %}
  {% for key, value in given.items() %}
    {% if key not in defaults %}
      {% do exceptions.raise_compiler_error("tessera: vars.tessera.audit_alerts: unknown threshold '" ~ key ~ "'; known: " ~ (defaults.keys() | list | sort | join(", "))) %}
    {% endif %}
    {% if value is not number or value is sameas true or value is sameas false or value < 0 %}
      {% do exceptions.raise_compiler_error("tessera: vars.tessera.audit_alerts." ~ key ~ " must be a number >= 0; got: " ~ value) %}
    {% endif %}
    {% do merged.update({key: value}) %}
  {% endfor %}
  {{ return(merged) }}
{% endmacro %}
