import pytest


def log_meal(client, profile, food, grams, eaten_at, meal_type="lunch"):
    response = client.post("/api/v1/meals", json={"profile_id": profile["id"], "food_id": food["id"],
                                                    "grams": grams, "meal_type": meal_type, "eaten_at": eaten_at})
    assert response.status_code == 201, response.text
    return response.json()


def test_meal_carries_its_energy(client, profile, oats):
    meal = log_meal(client, profile, oats, 80, "2024-06-01T07:30:00Z", "breakfast")
    assert meal["kcal"] == pytest.approx(303.2)
    assert meal["food_name"] == "Rolled oats"
    assert client.get(f"/api/v1/meals/{meal['id']}").json() == meal


def test_day_summary_totals_calories_of_that_day_only(client, profile, oats):
    log_meal(client, profile, oats, 80, "2024-06-01T07:30:00Z", "breakfast")      # 303.2 kcal
    log_meal(client, profile, oats, 50, "2024-06-01T23:30:00+02:00", "snack")     # 21:30 UTC: 189.5
    log_meal(client, profile, oats, 100, "2024-06-02T00:30:00Z", "breakfast")     # next day
    summary = client.get(f"/api/v1/profiles/{profile['id']}/summary", params={"day": "2024-06-01"}).json()
    assert summary["meals"] == 2
    assert summary["total_kcal"] == pytest.approx(492.7)
    assert summary["remaining_kcal"] == pytest.approx(1800 - 492.7)


def test_meals_are_listed_newest_first_per_profile(client, profile, oats):
    other = client.post("/api/v1/profiles", json={"email": "hugo@example.com", "display_name": "Hugo"}).json()
    older = log_meal(client, profile, oats, 10, "2024-06-01T08:00:00Z")
    newer = log_meal(client, profile, oats, 20, "2024-06-03T08:00:00Z")
    log_meal(client, other, oats, 30, "2024-06-02T08:00:00Z")
    page = client.get("/api/v1/meals", params={"profile_id": profile["id"], "limit": 10}).json()
    assert page["total"] == 2
    assert [m["id"] for m in page["items"]] == [newer["id"], older["id"]]


def test_meal_for_unknown_food_or_profile_is_404(client, profile, oats):
    base = {"profile_id": profile["id"], "food_id": oats["id"], "grams": 10, "meal_type": "lunch"}
    assert client.post("/api/v1/meals", json={**base, "food_id": 999}).status_code == 404
    assert client.post("/api/v1/meals", json={**base, "profile_id": 999}).status_code == 404
    assert client.get("/api/v1/meals", params={"profile_id": 999}).status_code == 404
    assert client.get("/api/v1/profiles/999/summary").status_code == 404


@pytest.mark.parametrize("change", [{"grams": 0}, {"grams": -5}, {"meal_type": "brunch"}, {"food_id": "oats"}])
def test_invalid_meal_is_rejected_with_422(client, profile, oats, change):
    body = {"profile_id": profile["id"], "food_id": oats["id"], "grams": 10, "meal_type": "lunch", **change}
    assert client.post("/api/v1/meals", json=body).status_code == 422


def test_duplicate_profile_email_is_a_conflict(client, profile):
    response = client.post("/api/v1/profiles", json={"email": profile["email"], "display_name": "Again"})
    assert response.status_code == 409


def test_profile_validation(client):
    assert client.post("/api/v1/profiles", json={"email": "not-an-email", "display_name": "X"}).status_code == 422
    assert client.post("/api/v1/profiles", json={"email": "a@b.fr", "display_name": "X",
                                                  "daily_kcal_goal": 100}).status_code == 422
