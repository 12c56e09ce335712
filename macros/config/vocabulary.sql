{#- The product's words, as tessera_dbt/engine/vocabulary.py defines them (a test holds the
    two equal). Models name them through tessera.word(), so a misspelt word fails at
    compile time instead of matching no row. -#}
{% macro vocabulary() %}
  {{ return({
    "event_type": [
      "contract_published", "change_unapproved", "publish_held",
      "proposal_created", "proposal_changes", "proposal_deadline", "proposal_required",
      "proposal_acknowledged", "proposal_resolved", "proposal_withdrawn", "proposal_forced",
      "proposal_published",
      "consumer_observed", "consumer_registered", "consumer_unregistered",
      "notification_failed",
      "proposal_reminder", "notification_sent", "contract_retired",
      "invocation_recorded",
      "asset_error", "drift_detected", "membership_recorded",
      "guarantee_failed", "guarantee_recovered"
    ],
    "proposal_status": ["pending", "approved", "rejected", "withdrawn", "expired", "published"],
    "response": ["approved", "migrating", "blocked"],
    "ack_state": ["waiting", "approved", "migrating", "blocked"],
    "consumer_source": ["declared", "registered", "downstream", "exposure", "project"],
    "test_status": ["pass", "fail", "warn", "error", "skipped"],
    "run_status": ["passed", "failed", "partial", "skipped"],
    "lifecycle": ["current", "retired"],
    "membership_role": ["member", "admin", "unconfigured"]
  }) }}
{% endmacro %}
