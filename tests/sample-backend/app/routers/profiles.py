from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import Food, Meal, Profile
from app.schemas import DaySummary, ProfileIn, ProfileOut

router = APIRouter(prefix="/api/v1/profiles", tags=["profiles"])


def load_profile(session: Session, profile_id: int) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise HTTPException(status_code=404, detail=f"profile {profile_id} not found")
    return profile


@router.post("", response_model=ProfileOut, status_code=201)
def create_profile(body: ProfileIn, session: Session = Depends(get_session)):
    profile = Profile(**body.dict())
    session.add(profile)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise HTTPException(status_code=409, detail="a profile with this email already exists")
    return ProfileOut.from_orm(profile)


@router.get("/{profile_id}", response_model=ProfileOut)
def get_profile(profile_id: int, session: Session = Depends(get_session)):
    return ProfileOut.from_orm(load_profile(session, profile_id))


@router.get("/{profile_id}/summary", response_model=DaySummary)
def day_summary(profile_id: int, day: date = Query(None), session: Session = Depends(get_session)):
    profile = load_profile(session, profile_id)
    day = day or datetime.now(timezone.utc).date()
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    # 100.0, not 100: SQLite would otherwise divide integers and drop the decimals.
    count, total = session.execute(
        select(func.count(Meal.id), func.coalesce(func.sum(Meal.grams * Food.kcal_per_100g / 100.0), 0))
        .join(Food, Meal.food_id == Food.id)
        .where(Meal.profile_id == profile_id, Meal.eaten_at >= start, Meal.eaten_at < start + timedelta(days=1))
    ).one()
    total = round(float(total), 1)
    return DaySummary(profile_id=profile_id, day=day, meals=count, total_kcal=total,
                      daily_kcal_goal=profile.daily_kcal_goal,
                      remaining_kcal=round(profile.daily_kcal_goal - total, 1))
