{#- listagg with its order kept on every adapter: `order_by` is a list of
    (expression, "asc" | "desc"). dbt.listagg drops the order on Spark (it warns and
    concatenates collect_list in no particular order). -#}
{% macro listagg_ordered(measure, delimiter_text, order_by, limit_num=none) %}
  {{ return(adapter.dispatch("listagg_ordered", "tessera")(measure, delimiter_text, order_by, limit_num)) }}
{% endmacro %}

{% macro default__listagg_ordered(measure, delimiter_text, order_by, limit_num=none) %}
  {%- set clause = [] %}
  {%- for expression, direction in order_by %}{% do clause.append(expression ~ " " ~ direction) %}{% endfor %}
  {{ return(dbt.listagg(measure, delimiter_text, "order by " ~ clause | join(", "), limit_num)) }}
{% endmacro %}

{#- Collect (keys..., measure) structs, sort them with a comparator (each key asc or desc,
    nulls last), then keep the non-null measures. -#}
{% macro spark__listagg_ordered(measure, delimiter_text, order_by, limit_num=none) %}
  {%- set fields = [] %}
  {%- for expression, direction in order_by %}{% do fields.append("'k" ~ loop.index ~ "', " ~ expression) %}{% endfor %}
  {%- set compare = [] %}
  {%- for expression, direction in order_by %}
    {%- set k = "k" ~ loop.index %}
    {%- set lt, gt = ("-1", "1") if direction | lower == "asc" else ("1", "-1") %}
    {%- do compare.append("when l." ~ k ~ " is null and r." ~ k ~ " is not null then 1"
                          ~ " when l." ~ k ~ " is not null and r." ~ k ~ " is null then -1"
                          ~ " when l." ~ k ~ " < r." ~ k ~ " then " ~ lt
                          ~ " when l." ~ k ~ " > r." ~ k ~ " then " ~ gt) %}
  {%- endfor %}
  {%- set sorted = "array_sort(collect_list(named_struct(" ~ fields | join(", ") ~ ", 'm', " ~ measure ~ ")), "
                   ~ "(l, r) -> case " ~ compare | join(" ") ~ " else 0 end)" %}
  {%- set values = "transform(filter(" ~ sorted ~ ", x -> x.m is not null), x -> x.m)" %}
  {%- if limit_num %}{% set values = "slice(" ~ values ~ ", 1, " ~ limit_num ~ ")" %}{% endif %}
  {{ return("array_join(" ~ values ~ ", " ~ delimiter_text ~ ")") }}
{% endmacro %}
