"""Action items: the CSM's to-dos per account (and per handoff), grouped by success theme."""
