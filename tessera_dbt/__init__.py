"""tessera-dbt: data-contract coordination that lives inside dbt."""

__version__ = "0.1.0"
