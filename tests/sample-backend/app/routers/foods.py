from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import Food
from app.schemas import FoodIn, FoodOut, Page

router = APIRouter(prefix="/api/v1/foods", tags=["foods"])


@router.get("", response_model=Page[FoodOut])
def list_foods(
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
    q: str = Query(None, min_length=1, max_length=100, description="case-insensitive name filter"),
    category: str = Query(None, max_length=40),
    session: Session = Depends(get_session),
):
    query = select(Food)
    if q:
        query = query.where(func.lower(Food.name).contains(q.lower()))
    if category:
        query = query.where(Food.category == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(Food.id).limit(limit).offset(offset)).scalars().all()
    return Page[FoodOut](items=[FoodOut.from_orm(f) for f in items], total=total, limit=limit, offset=offset)


@router.post("", response_model=FoodOut, status_code=201)
def create_food(body: FoodIn, session: Session = Depends(get_session)):
    food = Food(**body.dict())
    session.add(food)
    session.commit()
    return FoodOut.from_orm(food)


@router.get("/{food_id}", response_model=FoodOut)
def get_food(food_id: int, session: Session = Depends(get_session)):
    food = session.get(Food, food_id)
    if food is None:
        raise HTTPException(status_code=404, detail=f"food {food_id} not found")
    return FoodOut.from_orm(food)
