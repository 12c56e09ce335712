"""dbt tests, constraints and source freshness → the `guarantees` of contract documents.

A guarantee is identified by its kind and its column or name (compatibility.md). The
document keeps the two compact maps of interfaces.md (`nullability`, `accepted_values`)
for the common form and a `custom` list for everything else, including a not_null or
accepted_values test that carries a severity, a `where` or `quote: false`. Which dbt test
backs which guarantee is provenance, written to the document's `x-tests` map under the
guarantee's key (see `guarantee_key`), so run results can verify it later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..engine.guarantee_diff import guarantee_key
from ..engine.thresholds import FAILURE_CONFIGS, is_default, never_fails

_REF = re.compile(r"""ref\(\s*(?:['"][^'"]*['"]\s*,\s*)?['"](?P<name>[^'"]+)['"]"""
                  r"""(?:\s*,\s*(?:v|version)\s*=\s*['"]?(?P<version>[^'")\s]+))?""")
_SOURCE = re.compile(r"""source\(\s*['"](?P<source>[^'"]+)['"]\s*,\s*['"](?P<table>[^'"]+)['"]""")

# kwargs that dbt adds to every generic test and that say nothing about the promise
_PLUMBING_KWARGS = {"model", "column_name"}


def relation_target(expression: Any) -> str | None:
    """`ref('dim_customers')` → `dim_customers`; `source('raw', 'orders')` → `raw.orders`.

    >>> relation_target("ref('dim_customers', v=2)")
    'dim_customers.v2'
    """
    if not isinstance(expression, str):
        return None
    match = _REF.search(expression)
    if match:
        version = match["version"]
        return f"{match['name']}.v{version}" if version else match["name"]
    match = _SOURCE.search(expression)
    if match:
        return f"{match['source']}.{match['table']}"
    return expression.strip() or None


def enforced_constraints(adapter_type: str | None, node: dict[str, Any]) -> frozenset[str] | None:
    """The constraints the warehouse enforces for this node, as "column.<type>" and
    "model.<type>", or None where dbt's constraints are taken as declared. dbt-spark (and
    Databricks) only applies constraints to Delta tables, and there only column not_null and
    model-level check; on Parquet, ORC, CSV or Hive text tables it applies none
    (docs/spark.md)."""
    if (adapter_type or "").lower() not in ("spark", "databricks"):
        return None
    file_format = str((node.get("config") or {}).get("file_format") or "delta").lower()
    return frozenset({"column.not_null", "model.check"}) if file_format == "delta" \
        else frozenset()


def unquote_column(name: Any) -> Any:
    """A test's column_name as its column is named: dbt keeps the quotes of a column
    declared with `quote: true` (`"it's; Zoë"`), the columns map does not."""
    if isinstance(name, str) and len(name) >= 2 and name[0] == name[-1] and name[0] in "\"`":
        return name[1:-1].replace(name[0] * 2, name[0])
    return name


def _weakness(entry: dict[str, Any]) -> int:
    """How conditioned a guarantee entry is (0: error severity, every row, no threshold)."""
    return (2 * (str(entry.get("severity") or "error") == "warn")
            + sum(1 for k in ("where", *FAILURE_CONFIGS) if entry.get(k) is not None))


class GuaranteeBuilder:
    """Collects the guarantees of one asset; `document()` renders the documented shape."""

    def __init__(self) -> None:
        self.nullability: dict[str, str] = {}
        self.accepted_values: dict[str, list[Any]] = {}
        self.freshness: dict[str, Any] | None = None
        self.custom: dict[str, dict[str, Any]] = {}
        self.tests: dict[str, list[str]] = {}
        # declared constraints the warehouse does not enforce: said, never guarantees
        self.not_enforced: list[dict[str, Any]] = []
        # the guarantees an enforced constraint prevents (a test only detects): their keys
        self.prevented: set[str] = set()

    def _record_test(self, key: str, test_id: str | None) -> None:
        if test_id:
            ids = self.tests.setdefault(key, [])
            if test_id not in ids:
                ids.append(test_id)

    def add_custom(self, entry: dict[str, Any], test_id: str | None = None) -> None:
        key = guarantee_key(entry)
        existing = self.custom.get(key)
        # A test and a constraint making the same promise are one guarantee, at its
        # strongest: an unconditional error-severity form wins over a conditioned one.
        if existing is None or _weakness(entry) < _weakness(existing):
            self.custom[key] = entry
        self._record_test(key, test_id)

    def add_not_null(self, column: str, options: dict[str, Any], test_id: str | None) -> None:
        if options:
            self.add_custom({"type": "not_null", "column": column, **options}, test_id)
            return
        self.nullability[column] = "never"
        self.custom.pop(f"nullability.{column}", None)
        self._record_test(f"nullability.{column}", test_id)

    def add_accepted_values(self, column: str, values: list[Any], options: dict[str, Any],
                            test_id: str | None) -> None:
        if options:
            entry = {"type": "accepted_values", "column": column, "values": values, **options}
            self.add_custom(entry, test_id)
            return
        self.accepted_values[column] = values
        self._record_test(f"accepted_values.{column}", test_id)

    def add_test(self, test: dict[str, Any], column: str | None) -> None:
        """Map one dbt test node onto a guarantee."""
        test_id = test.get("unique_id")
        config = test.get("config") or {}
        options: dict[str, Any] = {}
        if str(config.get("severity") or "error").lower() == "warn":
            options["severity"] = "warn"
        if config.get("where"):
            options["where"] = config["where"]
        for name in FAILURE_CONFIGS:
            if not is_default(name, config.get(name)):
                options[name] = config[name]
        if never_fails({**config, **options}):
            return  # a test that can never fail promises nothing: its guarantee is gone
        metadata = test.get("test_metadata")
        if not metadata:
            sql = test.get("raw_code", test.get("raw_sql")) or ""
            self.add_custom({"type": "singular", "name": test.get("name"), "sql": sql, **options},
                            test_id)
            return
        name = metadata.get("name")
        namespace = metadata.get("namespace")
        kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items()
                  if k not in _PLUMBING_KWARGS}
        column = unquote_column(column or (metadata.get("kwargs") or {}).get("column_name"))
        if namespace is None and name == "not_null" and column:
            self.add_not_null(column, options, test_id)
        elif namespace is None and name == "accepted_values" and column:
            values = list(kwargs.get("values") or [])
            if kwargs.get("quote") is False:
                options["quote"] = False
            self.add_accepted_values(column, values, options, test_id)
        elif namespace is None and name == "unique" and column:
            self.add_custom({"type": "unique", "column": column, **options}, test_id)
        elif namespace is None and name == "relationships" and column:
            entry = {"type": "relationships", "column": column,
                     "to": relation_target(kwargs.get("to")), "field": kwargs.get("field"),
                     **options}
            self.add_custom(entry, test_id)
        else:
            entry: dict[str, Any] = {"type": f"{namespace}.{name}" if namespace else name}
            if column:
                entry["column"] = column
            else:
                # A model-level generic test is told apart from its siblings by its name.
                entry["name"] = test.get("name")
            if kwargs:
                entry["kwargs"] = kwargs
            self.add_custom({**entry, **options}, test_id)

    def _add_prevented(self, entry: dict[str, Any]) -> None:
        self.add_custom(entry)
        self.prevented.add(guarantee_key(entry))

    def add_constraints(self, column: str | None, constraints: Iterable[dict[str, Any]],
                        enforced: frozenset[str] | None = None) -> None:
        """dbt model contract constraints (1.5+), on a column or on the model; with
        `enforced`, only those the warehouse enforces become guarantees."""
        for constraint in constraints:
            kind = constraint.get("type")
            if enforced is not None and f"{'column' if column else 'model'}.{kind}" \
                    not in enforced:
                entry = {k: v for k, v in constraint.items()
                         if k in ("type", "name", "columns", "expression", "to", "to_columns")
                         and v not in (None, [], "")}
                self.not_enforced.append({**entry, "column": column} if column else entry)
                continue
            columns = [column] if column else list(constraint.get("columns") or [])
            if kind in ("not_null", "primary_key"):
                for name in columns:
                    # an enforced constraint outranks a weaker test of the same promise
                    # (warn, where, error_if): one promise, at its strongest
                    self.nullability[name] = "never"
                    self.custom.pop(f"nullability.{name}", None)
                    self.prevented.add(f"nullability.{name}")
            if kind in ("unique", "primary_key") and columns:
                entry: dict[str, Any] = {"type": kind}
                if len(columns) == 1:
                    entry["column"] = columns[0]
                else:
                    entry["columns"] = columns
                self._add_prevented(entry)
            elif kind == "check":
                entry = {"type": "check", "expression": constraint.get("expression")}
                if constraint.get("name"):
                    entry["name"] = constraint["name"]
                if column:
                    entry["column"] = column
                self._add_prevented(entry)
            elif kind == "foreign_key":
                entry = {"type": "foreign_key", "to": relation_target(constraint.get("to")),
                         "to_columns": list(constraint.get("to_columns") or [])}
                if len(columns) == 1:
                    entry["column"] = columns[0]
                elif columns:
                    entry["columns"] = columns
                elif constraint.get("expression"):
                    entry["expression"] = constraint["expression"]
                self._add_prevented(entry)

    def set_freshness(self, freshness: Any, loaded_at_field: str | None = None) -> None:
        if not isinstance(freshness, dict):
            return
        rendered: dict[str, Any] = {}
        for threshold in ("warn_after", "error_after"):
            value = freshness.get(threshold)
            if isinstance(value, dict) and value.get("count") is not None and value.get("period"):
                rendered[threshold] = {"count": value["count"], "period": value["period"]}
        if not rendered:
            return
        if freshness.get("filter"):
            rendered["filter"] = freshness["filter"]
        if loaded_at_field:
            rendered["loaded_at_field"] = loaded_at_field
        self.freshness = rendered

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.nullability:
            out["nullability"] = self.nullability
        if self.accepted_values:
            out["accepted_values"] = self.accepted_values
        if self.freshness:
            out["freshness"] = self.freshness
        if self.custom:
            out["custom"] = [self.custom[key] for key in sorted(self.custom)]
        return out

    def test_map(self) -> dict[str, list[str]]:
        return {key: sorted(ids) for key, ids in sorted(self.tests.items())}
