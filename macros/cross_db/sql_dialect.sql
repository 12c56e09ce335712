{#- How the Python side must write SQL for this adapter: string escaping, literal casts,
    whether several inserts can be one transaction (`transactions`; without, the writer
    orders them so a failure never publishes without its audit rows) and the size of one
    insert (BigQuery caps a query at about 1M characters, Snowflake a
    VALUES list at 16,384 rows). Python renders every value through these rules; no value
    is pasted into SQL unescaped. `array_insert` (DuckDB, PostgreSQL): the driver binds one
    array per column into `insert ... select unnest(cast(? as <type>[])), ...`, one
    statement per table (state.sql.array_insert); `paramstyle` is the driver's
    placeholder (`qmark`: ?, `format`: %s), `types` the array element type of each kind of
    value (timestamps: `timestamp_type`). -#}
{% macro sql_dialect() %}
  {{ return(adapter.dispatch("sql_dialect", "tessera")()) }}
{% endmacro %}

{% macro default__sql_dialect() %}
  {{ return({
      "backslash_escapes": false,
      "transactions": true,
      "timestamp_type": dbt.type_timestamp(),
      "true": "true",
      "false": "false",
      "max_rows": 1000,
      "max_bytes": 4000000,
  }) }}
{% endmacro %}

{% macro bigquery__sql_dialect() %}
  {% set d = tessera.default__sql_dialect() %}
  {% do d.update({"backslash_escapes": true, "max_rows": 1000, "max_bytes": 900000}) %}
  {{ return(d) }}
{% endmacro %}

{% macro snowflake__sql_dialect() %}
  {% set d = tessera.default__sql_dialect() %}
  {% do d.update({"backslash_escapes": true, "max_rows": 16000}) %}
  {{ return(d) }}
{% endmacro %}

{#- Spark (and Delta on Databricks) commits every statement on its own: no BEGIN. Its
    timestamps are session-local, and pyspark (dbt-spark's session method) returns them in
    the Python process's zone: the writer shifts them back (session_local_timestamps). -#}
{% macro spark__sql_dialect() %}
  {% set d = tessera.default__sql_dialect() %}
  {% do d.update({"backslash_escapes": true, "transactions": false,
                  "session_local_timestamps": target.get("method") == "session"}) %}
  {{ return(d) }}
{% endmacro %}

{% macro databricks__sql_dialect() %}{{ return(tessera.spark__sql_dialect()) }}{% endmacro %}

{#- only where the adapter is exactly DuckDB: an adapter whose macros fall back to these
    may not bind arrays -#}
{% macro duckdb__sql_dialect() %}
  {% set d = tessera.default__sql_dialect() %}
  {% if target.type == "duckdb" %}
    {% do d.update({"array_insert": {"paramstyle": "qmark", "types": {
        "string": "varchar", "integer": "bigint", "float": "double", "boolean": "boolean"}}}) %}
  {% endif %}
  {{ return(d) }}
{% endmacro %}

{#- PostgreSQL reads backslashes in a plain '...' string as escapes when the session (or
    the role, or the database) has standard_conforming_strings off: ask the session. -#}
{% macro postgres__sql_dialect() %}
  {% set d = tessera.default__sql_dialect() %}
  {% if execute %}
    {% set scs = run_query("select current_setting('standard_conforming_strings')") %}
    {% if scs.rows and (scs.rows[0][0] | string | lower) == "off" %}
      {% do d.update({"backslash_escapes": true}) %}
    {% endif %}
  {% endif %}
  {#- psycopg2 renders each bound list as an escaped ARRAY[...]; Redshift and other
      adapters that fall back to these macros have no arrays to unnest -#}
  {% if target.type == "postgres" %}
    {% do d.update({"array_insert": {"paramstyle": "format", "types": {
        "string": "text", "integer": "bigint", "float": "double precision",
        "boolean": "boolean"}}}) %}
  {% endif %}
  {{ return(d) }}
{% endmacro %}
