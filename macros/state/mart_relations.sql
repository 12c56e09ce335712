{#- The relations of some of tessera's own models (looked up in the graph, so the user's
    +schema and aliases apply) and whether they exist: what read-only operations such as
    tessera.audit query. -#}
{% macro mart_relations(names) %}
  {% set out = {} %}
  {% for name in names %}
    {% set node = graph.nodes.get("model.tessera." ~ name) %}
    {% if node is not none %}
      {% set existing = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
      {% do out.update({name: {
          "relation": api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) | string,
          "exists": existing is not none,
      }}) %}
    {% endif %}
  {% endfor %}
  {{ return(out) }}
{% endmacro %}
