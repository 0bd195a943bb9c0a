// Compliance module — see docs/architecture.md
