// Service module — see docs/architecture.md
