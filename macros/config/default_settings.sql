{#- Every tessera setting with its default. Users set them under one mapping in their
    dbt_project.yml (`vars: {tessera: {schema: ..., strict: true}}`); tessera.setting()
    is the only reader, because a package's own vars are not visible inside the
    on-run-end hooks that dbt runs in the root project's context. -#}
{% macro default_settings() %}
  {{ return({
      "schema": "tessera",
      "enabled": true,
      "strict": false,
      "fail_on_unapproved": false,
      "gate": "warn",
      "require_audit_pass": false,
      "block_unverified_guarantees": false,
      "publish_targets": none,
      "state_target": none,
      "state_file_format": none,
      "proposal_expiry_days": 30,
      "require_force_without_consumers": false,
      "teams": none,
      "admins": none,
      "webhooks": none,
      "team_webhooks": none,
      "slack_webhooks": none,
      "team_slack": none,
      "reminder_days_before_expiry": 3,
      "audit_alerts": {
          "failure_rate_24h": 0.5,
          "min_runs_24h": 3,
          "rising_factor": 1.5,
          "min_runs_7d": 5,
          "min_runs_30d": 10,
          "guarantee_failures_7d": 5,
      },
  }) }}
{% endmacro %}
