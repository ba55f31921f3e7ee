"""KPJ import pages (placeholder until built)."""
