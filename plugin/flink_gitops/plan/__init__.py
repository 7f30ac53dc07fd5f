"""``flink-gitops plan``: what the Flink operator will do to each job when a change syncs, and whether its state survives."""
