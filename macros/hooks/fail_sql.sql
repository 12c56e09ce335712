{#- SQL that fails with `message`: an on-run-end hook that must fail the run returns it, so
    dbt reports a normal "ERROR hook" line with the message (raising from Jinja inside
    on-run-end prints "Exited because of keyboard interrupt" on dbt 1.11). -#}
{% macro fail_sql(message) %}
  {{ return(adapter.dispatch("fail_sql", "tessera")(message)) }}
{% endmacro %}

{#- The message as a string literal of this adapter: where backslashes are escapes
    (BigQuery, Snowflake, Spark, PostgreSQL with standard_conforming_strings off) `'it''s'`
    would not read as it's (Spark concatenates it into `its`). -#}
{% macro _string_literal(text) %}
  {% set text = text | string %}
  {% if tessera.sql_dialect().get("backslash_escapes") %}
    {{ return("'" ~ text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r") ~ "'") }}
  {% endif %}
  {{ return("'" ~ text.replace("'", "''") ~ "'") }}
{% endmacro %}

{% macro default__fail_sql(message) %}
  {{ return("select cast(" ~ tessera._string_literal(message) ~ " as " ~ dbt.type_int() ~ ")") }}
{% endmacro %}

{% macro duckdb__fail_sql(message) %}
  {{ return("select error(" ~ tessera._string_literal(message) ~ ")") }}
{% endmacro %}

{% macro postgres__fail_sql(message) %}
  {{ return("do $tessera$ begin raise exception '%', " ~ tessera._string_literal(message) ~ "; end $tessera$") }}
{% endmacro %}

{#- dbt-spark's session cursor only calls spark.sql(): a query is analysed, never run, so
    `select raise_error(...)` passes and a bad cast is NULL (ANSI off). An unresolvable
    column fails at analysis, with the message as its name (backticks doubled):
    "[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column ... with name `<message>` cannot be
    resolved." (`cache table t as select raise_error(...)` also fails, with a JVM trace.) -#}
{% macro spark__fail_sql(message) %}
  {{ return("select `" ~ (message | string).replace("`", "``") ~ "`") }}
{% endmacro %}
