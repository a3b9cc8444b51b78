"""Fill the database with realistic data: `python3 -m app.seed --rows N` (uses DATABASE_URL).

N is the number of meal log rows; the profiles and foods they refer to are added in proportion
(one profile per 400 meals, one food per 50). PostgreSQL is loaded with COPY streamed from a
generator, so a few million rows take well under a minute and little memory. Only columns that
exist at the database's current revision are written, so the script works at any revision
from 0001 on.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Callable, Iterable, Iterator, List, Optional, Sequence

from sqlalchemy import create_engine, inspect, text

from app.settings import Settings

PLAIN_FOODS = [
    # name stem, category, kcal, protein, carbs, fat per 100 g
    ("Apple", "fruit", 52, 0.3, 13.8, 0.2), ("Banana", "fruit", 89, 1.1, 22.8, 0.3), ("Blueberries", "fruit", 57, 0.7, 14.5, 0.3),
    ("Pear", "fruit", 57, 0.4, 15.2, 0.1), ("Mango", "fruit", 60, 0.8, 15.0, 0.4), ("Carrot", "vegetable", 41, 0.9, 9.6, 0.2),
    ("Tomato", "vegetable", 18, 0.9, 3.9, 0.2), ("Broccoli", "vegetable", 34, 2.8, 6.6, 0.4), ("Kale", "vegetable", 49, 4.3, 8.8, 0.9),
    ("Rolled oats", "grain", 379, 13.2, 67.7, 6.5), ("Basmati rice", "grain", 130, 2.7, 28.2, 0.3),
    ("Wholewheat pasta", "grain", 149, 5.8, 30.1, 0.9), ("Quinoa", "grain", 120, 4.4, 21.3, 1.9),
    ("Sourdough bread", "grain", 259, 8.8, 49.0, 1.8), ("Greek yogurt", "dairy", 97, 9.0, 3.9, 5.0),
    ("Semi-skimmed milk", "dairy", 46, 3.4, 4.8, 1.7), ("Cheddar cheese", "dairy", 403, 24.9, 1.3, 33.1),
    ("Chicken breast", "protein", 165, 31.0, 0.0, 3.6), ("Beef mince 5%", "protein", 137, 21.4, 0.0, 5.5),
    ("Salmon fillet", "protein", 208, 20.4, 0.0, 13.4), ("Tuna in brine", "protein", 109, 25.5, 0.0, 0.8),
    ("Tofu", "protein", 144, 15.8, 2.8, 8.7), ("Black beans", "protein", 132, 8.9, 23.7, 0.5), ("Egg", "protein", 155, 12.6, 1.1, 10.6),
    ("Almonds", "fat", 579, 21.2, 21.6, 49.9), ("Peanut butter", "fat", 588, 25.1, 20.0, 50.0),
    ("Dark chocolate", "sweet", 598, 7.8, 45.9, 42.6), ("Oat cookie", "sweet", 450, 6.5, 64.0, 18.0),
]
BRANDS = [None, None, "Tesco", "Carrefour", "Monoprix", "Bonne Maman", "Alpro", "Danone", "Barilla",
          "Quaker", "Lidl", "Auchan", "Picard", "Fage", "Ben's Original"]
STYLES = ["", "", "organic", "light", "frozen", "family pack", "with sea salt", "unsweetened", "cooked"]
FIRST_NAMES = ["Camille", "Léa", "Hugo", "Louis", "Chloé", "Lucas", "Emma", "Nathan", "Inès", "Jules",
               "Sarah", "Adam", "Manon", "Tom", "Zoé", "Noah", "Alice", "Ethan", "Lina", "Gabriel"]
MEAL_TYPES = ["breakfast", "lunch", "dinner", "snack"]
MEAL_HOURS = {"breakfast": (6, 10), "lunch": (11, 14), "dinner": (18, 22), "snack": (10, 23)}


class _GeneratorReader:
    """File-like object over a generator of text lines, for psycopg2's copy_expert."""

    def __init__(self, lines: Iterable[str]):
        self._lines: Iterator[str] = iter(lines)
        self._buffer = ""

    def read(self, size: int = -1) -> str:
        pieces, length = [self._buffer], len(self._buffer)
        while size < 0 or length < size:
            more = "".join(islice(self._lines, 2000))
            if not more:
                break
            pieces.append(more)
            length += len(more)
        data = "".join(pieces)
        if size < 0:
            size = len(data)
        chunk, self._buffer = data[:size], data[size:]
        return chunk

    readline = read


def _jitter(rng: random.Random, value: float) -> float:
    return round(max(0.0, value * rng.uniform(0.85, 1.15)), 2)


def food_rows(rng: random.Random, count: int, with_category: bool) -> Iterator[tuple]:
    for _ in range(count):
        stem, category, kcal, protein, carbs, fat = rng.choice(PLAIN_FOODS)
        style = rng.choice(STYLES)
        name = f"{stem} {style}".strip() if style else stem
        protein, carbs, fat = _jitter(rng, protein), _jitter(rng, carbs), _jitter(rng, fat)
        scale = min(1.0, 100.0 / max(protein + carbs + fat, 0.01))
        row = (name, rng.choice(BRANDS), _jitter(rng, kcal),
               round(protein * scale, 2), round(carbs * scale, 2), round(fat * scale, 2))
        yield row + (category,) if with_category else row


def profile_rows(rng: random.Random, count: int, run_tag: str) -> Iterator[tuple]:
    for i in range(count):
        first = rng.choice(FIRST_NAMES)
        yield (f"{first.lower()}.{run_tag}.{i}@example.com", first, rng.choice(range(1500, 3201, 100)))


def meal_rows(rng: random.Random, count: int, profile_ids: Sequence[int], food_ids: Sequence[int],
              now: datetime) -> Iterator[tuple]:
    for _ in range(count):
        meal_type = rng.choice(MEAL_TYPES)
        low, high = MEAL_HOURS[meal_type]
        day = now - timedelta(days=rng.randrange(1, 366))  # from yesterday back: no meal in the future
        eaten_at = day.replace(hour=rng.randrange(low, high), minute=rng.randrange(60), second=0, microsecond=0)
        yield (rng.choice(profile_ids), rng.choice(food_ids), round(rng.uniform(15, 450), 1), meal_type,
               eaten_at.isoformat())


def _copy_line(row: tuple) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


class Loader:
    """Writes rows with COPY on PostgreSQL and batched executemany elsewhere (SQLite in tests)."""

    def __init__(self, url: str, batch_size: int):
        self.engine = create_engine(url, future=True)
        self.batch_size = batch_size
        self.is_postgres = self.engine.dialect.name == "postgresql"

    def load(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        if self.is_postgres:
            raw = self.engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN",
                                    _GeneratorReader(_copy_line(r) for r in rows), size=1 << 20)
                raw.commit()
            finally:
                raw.close()
            return
        statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
        batch: List[dict] = []
        with self.engine.begin() as conn:
            for row in rows:
                batch.append(dict(zip(columns, row)))
                if len(batch) >= self.batch_size:
                    conn.execute(statement, batch)
                    batch = []
            if batch:
                conn.execute(statement, batch)

    def ids(self, sql: str, **params) -> List[int]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(text(sql), params)]

    def columns(self, table: str) -> List[str]:
        return [c["name"] for c in inspect(self.engine).get_columns(table)]

    def analyze(self) -> None:
        if self.is_postgres:
            with self.engine.connect() as conn:
                conn.execute(text("ANALYZE profiles, foods, meals"))
                conn.commit()


def seed(url: str, rows: int, rng_seed: Optional[int] = None, batch_size: int = 5000,
         progress: Callable[[str], None] = lambda message: None) -> dict:
    rng = random.Random(rng_seed)
    run_tag = uuid.uuid4().hex[:8]  # not from rng: a repeated --seed must still get fresh emails
    n_profiles, n_foods = max(1, rows // 400), max(1, rows // 50)
    loader = Loader(url, batch_size)
    started = time.perf_counter()

    loader.load("profiles", ["email", "display_name", "daily_kcal_goal"], profile_rows(rng, n_profiles, run_tag))
    profile_ids = loader.ids("SELECT id FROM profiles WHERE email LIKE :pattern", pattern=f"%.{run_tag}.%")
    progress(f"profiles: {len(profile_ids)}")

    before = loader.ids("SELECT coalesce(max(id), 0) FROM foods")[0]
    # foods.category only exists from 0002 on; before that the migration's backfill files them.
    with_category = "category" in loader.columns("foods")
    columns = ["name", "brand", "kcal_per_100g", "protein_g", "carbs_g", "fat_g"] + (["category"] if with_category else [])
    loader.load("foods", columns, food_rows(rng, n_foods, with_category))
    food_ids = loader.ids("SELECT id FROM foods WHERE id > :after", after=before)
    progress(f"foods: {len(food_ids)}")

    loader.load("meals", ["profile_id", "food_id", "grams", "meal_type", "eaten_at"],
                meal_rows(rng, rows, profile_ids, food_ids, datetime.now(timezone.utc)))
    progress(f"meals: {rows}")
    loader.analyze()
    loader.engine.dispose()
    return {"profiles": len(profile_ids), "foods": len(food_ids), "meals": rows,
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m app.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="number of meal rows to insert")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
    parser.add_argument("--batch-size", type=int, default=5000, help="rows per executemany batch (non-PostgreSQL)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    url = Settings.from_env().database_url
    if not url:
        print("error: DATABASE_URL is not set", file=sys.stderr)
        return 2
    result = seed(url, args.rows, args.seed, args.batch_size,
                  progress=lambda message: print(f"seed: {message}", file=sys.stderr, flush=True))
    print(f"seeded {result['meals']} meals, {result['foods']} foods, {result['profiles']} profiles "
          f"in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
