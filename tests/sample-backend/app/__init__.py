"""NutriProfile sample backend: the application the deploy build is exercised against."""
