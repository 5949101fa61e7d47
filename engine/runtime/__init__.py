"""Running workflows: serialization, snapshots and guarded engine steps."""
