// Control module — see docs/architecture.md
