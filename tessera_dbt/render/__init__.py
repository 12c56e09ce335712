"""What people read, rendered without dbt (pure: data in, text out): the HTML report and
its data, the changelog; called by the dbt operations (runtime/) and the CLI alike."""
