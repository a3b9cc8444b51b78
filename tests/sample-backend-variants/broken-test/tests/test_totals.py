import pytest


def test_broken_total_calories(client, profile, oats):
    for grams in (80, 50):
        client.post("/api/v1/meals", json={"profile_id": profile["id"], "food_id": oats["id"], "grams": grams,
                                           "meal_type": "breakfast", "eaten_at": "2024-06-01T07:30:00Z"})
    summary = client.get(f"/api/v1/profiles/{profile['id']}/summary", params={"day": "2024-06-01"}).json()
    # Wrong on purpose: this variant is the release whose test suite fails. 80 g + 50 g of oats
    # at 379 kcal/100 g make 492.7 kcal.
    assert summary["total_kcal"] == pytest.approx(495.0)
