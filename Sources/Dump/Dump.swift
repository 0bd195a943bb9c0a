// Dump module — see docs/architecture.md
