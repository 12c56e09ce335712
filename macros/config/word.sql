{#- One of the product's words as a SQL string literal: tessera.word('event_type',
    'contract_published') → 'contract_published'. An unknown word is a compile error. -#}
{% macro word(kind, name) %}
  {%- set words = tessera.vocabulary() -%}
  {%- if kind not in words or name not in words[kind] -%}
    {{ exceptions.raise_compiler_error("tessera.word: " ~ name ~ " is not a known " ~ kind) }}
  {%- endif -%}
  {{- return("'" ~ name ~ "'") -}}
{% endmacro %}
