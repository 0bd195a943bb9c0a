// Policy module — see docs/architecture.md
