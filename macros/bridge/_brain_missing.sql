{#- Why the Python brain cannot be called, in one line with the fix, or "" when it can.
    Two cases: the plugin was loaded but could not import tessera_dbt (it says what
    failed), or modules.tessera does not exist at all: the Python package is not installed
    in the Python that runs dbt, or dbt did not load its plugin. -#}
{% macro _brain_missing() %}
  {% if modules.tessera is defined and modules.tessera.get("broken") %}
    {{ return("tessera: the tessera-dbt Python package is installed but its dbt plugin could not load it (" ~ modules.tessera.broken ~ "); reinstall it in the Python that runs dbt: python -m pip install --force-reinstall ./dbt_packages/tessera") }}
  {% endif %}
  {% if modules.tessera is not defined %}
    {{ return("tessera: the tessera-dbt Python package is not installed in the Python that runs dbt, or dbt did not load its plugin; install it there from the project directory: python -m pip install ./dbt_packages/tessera (if `python -c \"import dbt_tessera\"` already works there, reinstall without -e or with --config-settings editable_mode=compat)") }}
  {% endif %}
  {{ return("") }}
{% endmacro %}
