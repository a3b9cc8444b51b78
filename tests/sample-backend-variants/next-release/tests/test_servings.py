import pytest


def test_food_reports_the_energy_of_one_serving(client):
    body = {"name": "Rolled oats", "kcal_per_100g": 379, "protein_g": 13.2, "carbs_g": 67.7, "fat_g": 6.5,
            "category": "grain", "serving_g": 40}
    food = client.post("/api/v1/foods", json=body).json()
    assert food["serving_g"] == 40
    assert food["kcal_per_serving"] == pytest.approx(151.6)
    assert client.get(f"/api/v1/foods/{food['id']}").json()["kcal_per_serving"] == pytest.approx(151.6)


def test_serving_defaults_to_100_g(client):
    body = {"name": "Apple", "kcal_per_100g": 52, "protein_g": 0.3, "carbs_g": 13.8, "fat_g": 0.2}
    food = client.post("/api/v1/foods", json=body).json()
    assert food["serving_g"] == 100 and food["kcal_per_serving"] == 52


def test_serving_must_be_positive(client):
    body = {"name": "Apple", "kcal_per_100g": 52, "protein_g": 0.3, "carbs_g": 13.8, "fat_g": 0.2, "serving_g": 0}
    assert client.post("/api/v1/foods", json=body).status_code == 422
