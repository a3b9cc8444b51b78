from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import Food, Meal
from app.routers.profiles import load_profile
from app.schemas import MealIn, MealOut, Page

router = APIRouter(prefix="/api/v1/meals", tags=["meals"])


def to_out(meal: Meal) -> MealOut:
    return MealOut(id=meal.id, profile_id=meal.profile_id, food_id=meal.food_id, food_name=meal.food.name,
                   grams=meal.grams, meal_type=meal.meal_type, eaten_at=meal.eaten_at,
                   kcal=round(meal.grams * meal.food.kcal_per_100g / 100, 1))


@router.get("", response_model=Page[MealOut])
def list_meals(
    profile_id: int = Query(..., description="meals are always listed for one profile"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    session: Session = Depends(get_session),
):
    load_profile(session, profile_id)
    total = session.execute(select(func.count(Meal.id)).where(Meal.profile_id == profile_id)).scalar_one()
    meals = session.execute(
        select(Meal).where(Meal.profile_id == profile_id)
        .order_by(Meal.eaten_at.desc(), Meal.id.desc()).limit(limit).offset(offset)
    ).scalars().all()
    return Page[MealOut](items=[to_out(m) for m in meals], total=total, limit=limit, offset=offset)


@router.post("", response_model=MealOut, status_code=201)
def create_meal(body: MealIn, session: Session = Depends(get_session)):
    load_profile(session, body.profile_id)
    if session.get(Food, body.food_id) is None:
        raise HTTPException(status_code=404, detail=f"food {body.food_id} not found")
    values = body.dict()
    eaten_at = values["eaten_at"] or datetime.now(timezone.utc)
    # Stored in UTC: a naive time is taken as UTC, an aware one converted, so day summaries agree.
    values["eaten_at"] = eaten_at.astimezone(timezone.utc) if eaten_at.tzinfo else eaten_at.replace(tzinfo=timezone.utc)
    meal = Meal(**values)
    session.add(meal)
    session.commit()
    session.refresh(meal)
    return to_out(meal)


@router.get("/{meal_id}", response_model=MealOut)
def get_meal(meal_id: int, session: Session = Depends(get_session)):
    meal = session.get(Meal, meal_id)
    if meal is None:
        raise HTTPException(status_code=404, detail=f"meal {meal_id} not found")
    return to_out(meal)
