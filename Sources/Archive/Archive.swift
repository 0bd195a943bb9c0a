// Archive module — see docs/architecture.md
