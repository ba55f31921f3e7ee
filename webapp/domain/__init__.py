"""The shared rules, below the areas and above the models.

Every area (a blueprint package: auth, field, review, enrollment, dashboard, admin,
sync) may use these modules; none of them imports an area. Each module is named for
what it is: ``registrations`` (storing, flags, references), ``ingest_rules`` and
``ingest`` (the exactly-once rule for what phones send), ``funding`` (quotas and
allocation), ``versions`` (the optimistic version check), ``parsing`` (what people
type), ``field_health``, ``outbox_upload``, ``accounts``, ``devices``, and so on.
"""
