"""Developer tools kept out of the wheel: the generators of docs/rules*.md and docs/models.md."""
