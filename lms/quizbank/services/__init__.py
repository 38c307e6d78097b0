"""The quizbank plugin's domain logic, one module per area; views, CLI and API all call it."""
