"""The pure core: classification of a change (structure, types, guarantees, rules, semver),
the publish decision and the CI verdicts, and the product's vocabulary. Imports nothing
else from tessera_dbt and no dbt-core."""
