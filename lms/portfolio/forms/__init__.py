"""Forms of the portfolio plugin, one module per area."""
