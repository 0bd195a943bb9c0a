// Restore module — see docs/architecture.md
