"""Forms of the quizbank plugin, one module per area."""
