{#- The package's on-run-start hook: before any node runs, one call into the brain
    (tessera_dbt.runtime.start) refuses a --vars override of the settings that guard
    production on a target that publishes, checks the state tables when the run builds
    them (a damaged state stops it here), and gates the selected assets under contract:
    would a contract change in a way that is breaking and unapproved (the decision the
    on-run-end hook makes)? vars.tessera.gate: `warn` (default) says so in one line per
    asset and the run goes on; `block` fails the invocation before anything is built; `off`
    skips the gate. `tessera._invocation_payload` is handed over uncalled: a run with
    nothing to check never looks the state relations up. -#}
{% macro on_run_start() %}
  {#- without the Python brain the on-run-end hook warns (or fails under strict) once -#}
  {% if not execute or tessera._brain_missing() %}{{ return("") }}{% endif %}
  {% set outcome = tessera._bridge("on_run_start", {
      "adapter": adapter,
      "graph": graph,
      "selected": selected_resources | list,
      "target": {"name": target.name},
      "settings": tessera.settings(),
      "invocation": tessera._invocation_payload,
  }) %}
  {% for line in outcome.get("messages", []) %}{% do log(line, info=True) %}{% endfor %}
  {% if outcome.get("error") %}
    {#- raised while dbt compiles the hook: the invocation stops before any node runs,
        whatever the project's skip_nodes_if_on_run_start_fails flag says -#}
    {% do exceptions.raise_compiler_error(outcome["error"]) %}
  {% endif %}
  {{ return("") }}
{% endmacro %}
