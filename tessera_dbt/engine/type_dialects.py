"""Each dialect's type names: spelling → (canonical name, default parameters), the
parameter kind of each canonical name, and length conventions (see `warehouse_types`)."""

from __future__ import annotations

DIALECTS = ("generic", "duckdb", "postgres", "snowflake", "bigquery", "spark", "redshift")


def _table(spec: dict[str, str]) -> dict[str, tuple[str, tuple]]:
    """{"decimal(18,3)": "decimal, numeric"} -> {"decimal": ("decimal", (18, 3)), ...}."""
    out = {}
    for target, aliases in spec.items():
        name, _, rest = target.partition("(")
        default = tuple(int(p) for p in rest.rstrip(")").split(",")) if rest else ()
        out.update({alias.strip(): (name, default) for alias in aliases.split(",")})
    return out


_GENERIC = _table({
    "tinyint": "tinyint, int1", "smallint": "smallint, int2, int16, smallserial, serial2",
    "int": "int, integer, int4, int32, serial, serial4",
    "bigint": "bigint, int8, int64, bigserial, serial8", "hugeint": "hugeint, int128",
    "decimal": "decimal, numeric", "real": "real, float4",
    "double": "double, double precision, float8, float, float64",
    "varchar": "varchar, character varying, char varying, text, string",
    "char(1)": "char, character", "char": "bpchar", "boolean": "boolean, bool", "date": "date",
    "timestamp(6)": "timestamp, timestamp without time zone, datetime",
    "timestamptz(6)": "timestamptz, timestamp with time zone", "timestamp_ltz(6)": "timestamp_ltz",
    "time(6)": "time, time without time zone", "timetz(6)": "timetz, time with time zone",
    "interval": "interval", "binary": "bytea, blob, binary, varbinary, bytes", "uuid": "uuid",
    "json": "json", "jsonb": "jsonb", "variant": "variant",
})
_OVERRIDES = {
    "duckdb": {
        "utinyint": "utinyint, uint8", "usmallint": "usmallint, uint16",
        "uint": "uinteger, uint32", "ubigint": "ubigint, uint64", "uhugeint": "uhugeint, uint128",
        "smallint": "short", "int": "signed", "bigint": "long", "boolean": "logical",
        "decimal(18,3)": "decimal, numeric", "real": "real, float4, float",
        "varchar": "varchar, char, character, bpchar, text, string, nvarchar",
        "timestamp(0)": "timestamp_s", "timestamp(3)": "timestamp_ms",
        "timestamp(6)": "timestamp_us", "timestamp(9)": "timestamp_ns",
    },
    "snowflake": {
        "decimal(38,0)": "number, numeric, decimal, int, integer, bigint, smallint, tinyint, "
                         "byteint",
        "double": "float, float4, float8, double, double precision, real",
        "varchar": "varchar, string, text, character varying, char varying, nvarchar, nvarchar2",
        "varchar(1)": "char, character, nchar", "binary": "binary, varbinary",
        "timestamp(9)": "timestamp, timestamp_ntz, timestampntz, datetime, "
                        "timestamp without time zone",
        "timestamptz(9)": "timestamp_tz, timestamptz, timestamp with time zone",
        "timestamp_ltz(9)": "timestamp_ltz, timestampltz, timestamp with local time zone",
        "time(9)": "time", "array": "array", "map": "object", "geography": "geography",
        "geometry": "geometry",
    },
    "bigquery": {
        "bigint": "int64, int, integer, smallint, bigint, tinyint, byteint",
        "decimal(38,9)": "numeric, decimal", "decimal(76,38)": "bignumeric, bigdecimal",
        "double": "float64, float", "varchar": "string", "binary": "bytes",
        "timestamp(6)": "datetime", "timestamptz(6)": "timestamp", "geography": "geography",
    },
    "spark": {
        "varchar": "string", "tinyint": "tinyint, byte", "smallint": "smallint, short",
        "bigint": "bigint, long", "decimal(10,0)": "decimal, dec, numeric", "real": "float, real",
        "timestamptz(6)": "timestamp, timestamp_ltz", "timestamp(6)": "timestamp_ntz",
    },
    "redshift": {
        "decimal(18,0)": "decimal, numeric", "double": "float, float8, double precision",
        "varchar(256)": "varchar, character varying, nvarchar, text", "char(256)": "bpchar",
        "char(1)": "char, character, nchar", "variant": "super",
        "binary": "varbyte, varbinary, binary varying", "geography": "geography",
        "geometry": "geometry",
    },
}
TABLES = {d: {**_GENERIC, **_table(_OVERRIDES.get(d, {}))} for d in DIALECTS}
PARAM_KIND = {"decimal": "ps", "varchar": "n", "char": "n", "binary": "n", "timestamp": "p",
               "timestamptz": "p", "timestamp_ltz": "p", "time": "p", "timetz": "p"}
MAX_LENGTH = {"redshift": 65535}  # varchar(max); elsewhere max means unbounded
UNBOUNDED = {("snowflake", "varchar"): 16777216, ("snowflake", "binary"): 8388608}
