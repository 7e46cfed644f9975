"""Sources: the identity map from source-system records to cshub entities, with provenance.

Invariant: one ``(source, object_type, external_id)`` maps to exactly one entity.
"""
