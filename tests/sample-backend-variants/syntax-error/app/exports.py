"""Weekly CSV export of a profile's meals. Not wired into the API yet, so nothing imports it:
only a syntax check of every tracked file notices that it does not compile."""
import csv
import io


def meals_to_csv(meals) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["eaten_at", "food", "grams", "kcal"])
    for meal in meals
        writer.writerow([meal.eaten_at.isoformat(), meal.food.name, meal.grams, meal.kcal])
    return out.getvalue()
