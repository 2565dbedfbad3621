"""Output formats shared by the commands (text, JSON, GitHub annotations)."""
