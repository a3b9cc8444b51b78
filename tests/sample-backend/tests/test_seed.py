from sqlalchemy import text

from app import seed


def counts(database):
    with database.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("profiles", "foods", "meals")}


def test_seed_inserts_requested_meals_with_valid_references(database, sqlite_url):
    result = seed.seed(sqlite_url, rows=2000, rng_seed=7, batch_size=300)
    assert counts(database) == {"profiles": 5, "foods": 40, "meals": 2000}
    assert result["meals"] == 2000
    with database.engine.connect() as conn:
        orphans = conn.execute(text("SELECT count(*) FROM meals m LEFT JOIN foods f ON f.id = m.food_id "
                                    "LEFT JOIN profiles p ON p.id = m.profile_id WHERE f.id IS NULL OR p.id IS NULL"))
        assert orphans.scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM foods WHERE category = 'other'")).scalar_one() == 0
        assert conn.execute(text("SELECT min(grams) > 0 AND max(fat_g + protein_g + carbs_g) <= 100.01 "
                                 "FROM meals, foods WHERE meals.food_id = foods.id")).scalar_one()


def test_seed_can_run_twice(database, sqlite_url):
    seed.seed(sqlite_url, rows=400, rng_seed=1)
    seed.seed(sqlite_url, rows=400, rng_seed=1)
    assert counts(database)["meals"] == 800


def test_copy_stream_reader_returns_every_line():
    lines = [f"{i}\tx\n" for i in range(10_001)]
    reader = seed._GeneratorReader(iter(lines))
    chunks = []
    while True:
        chunk = reader.read(8192)
        if not chunk:
            break
        chunks.append(chunk)
    assert "".join(chunks) == "".join(lines)


def test_seed_refuses_to_run_without_database_url(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert seed.main(["--rows", "10"]) == 2
    assert "DATABASE_URL is not set" in capsys.readouterr().err
