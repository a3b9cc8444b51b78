import pytest

APPLE = {"name": "Apple", "kcal_per_100g": 52, "protein_g": 0.3, "carbs_g": 13.8, "fat_g": 0.2, "category": "fruit"}


def test_create_then_fetch_a_food(client, oats):
    response = client.get(f"/api/v1/foods/{oats['id']}")
    assert response.status_code == 200
    assert response.json() == oats
    assert oats["name"] == "Rolled oats" and oats["kcal_per_100g"] == 379 and oats["category"] == "grain"


def test_category_defaults_to_other(client):
    body = {k: v for k, v in APPLE.items() if k != "category"}
    assert client.post("/api/v1/foods", json=body).json()["category"] == "other"


def test_list_pages_through_foods_in_id_order(client):
    ids = [client.post("/api/v1/foods", json={**APPLE, "name": f"Apple {i}"}).json()["id"] for i in range(5)]
    first = client.get("/api/v1/foods", params={"limit": 2}).json()
    second = client.get("/api/v1/foods", params={"limit": 2, "offset": 2}).json()
    last = client.get("/api/v1/foods", params={"limit": 2, "offset": 4}).json()
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [f["id"] for f in first["items"] + second["items"] + last["items"]] == ids


def test_list_filters_by_name_and_category(client, oats):
    client.post("/api/v1/foods", json=APPLE)
    assert [f["name"] for f in client.get("/api/v1/foods", params={"q": "OAT"}).json()["items"]] == ["Rolled oats"]
    assert [f["name"] for f in client.get("/api/v1/foods", params={"category": "fruit"}).json()["items"]] == ["Apple"]


def test_unknown_food_is_404(client):
    response = client.get("/api/v1/foods/4242")
    assert response.status_code == 404
    assert response.json()["detail"] == "food 4242 not found"


@pytest.mark.parametrize("change, field", [
    ({"kcal_per_100g": -1}, "kcal_per_100g"),
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
    ({"protein_g": 60, "carbs_g": 30, "fat_g": 20}, "fat_g"),
])
def test_invalid_food_is_rejected_with_422(client, change, field):
    response = client.post("/api/v1/foods", json={**APPLE, **change})
    assert response.status_code == 422
    assert field in [e["loc"][-1] for e in response.json()["detail"]]
    assert client.get("/api/v1/foods").json()["total"] == 0


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}])
def test_paging_bounds_are_validated(client, params):
    assert client.get("/api/v1/foods", params=params).status_code == 422
