"""Domain logic of the portfolio plugin, one module per area."""
