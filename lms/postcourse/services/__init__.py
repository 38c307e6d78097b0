"""Domain logic of the postcourse plugin, one module per area."""
