"""Request and response bodies (pydantic 1.x, as shipped with FastAPI 0.92)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Generic, List, Literal, Optional, TypeVar

from pydantic import BaseModel, Field, root_validator, validator
from pydantic.generics import GenericModel

T = TypeVar("T")


class Page(GenericModel, Generic[T]):
    items: List[T]
    total: int
    limit: int
    offset: int


class FoodIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=200)
    brand: Optional[str] = Field(None, max_length=120)
    kcal_per_100g: float = Field(..., ge=0, le=900)
    protein_g: float = Field(..., ge=0, le=100)
    carbs_g: float = Field(..., ge=0, le=100)
    fat_g: float = Field(..., ge=0, le=100)
    category: str = Field("other", min_length=1, max_length=40)
    serving_g: float = Field(100, gt=0, le=2000, description="a typical portion, in grams")

    @validator("name")
    def name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()

    @validator("fat_g")
    def macros_fit_in_100g(cls, value: float, values: dict) -> float:
        total = value + values.get("protein_g", 0) + values.get("carbs_g", 0)
        if total > 100:
            raise ValueError("protein, carbs and fat add up to more than 100 g per 100 g")
        return value


class FoodOut(BaseModel):
    id: int
    name: str
    brand: Optional[str]
    kcal_per_100g: float
    protein_g: float
    carbs_g: float
    fat_g: float
    category: str
    serving_g: Optional[float]
    kcal_per_serving: Optional[float]

    class Config:
        orm_mode = True

    @root_validator(skip_on_failure=True)
    def energy_of_one_serving(cls, values: dict) -> dict:
        if values.get("serving_g") is not None:
            values["kcal_per_serving"] = round(values["kcal_per_100g"] * values["serving_g"] / 100, 1)
        return values


class ProfileIn(BaseModel):
    email: str = Field(..., max_length=254, regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    display_name: str = Field(..., min_length=1, max_length=100)
    daily_kcal_goal: int = Field(2000, ge=800, le=6000)


class ProfileOut(BaseModel):
    id: int
    email: str
    display_name: str
    daily_kcal_goal: int

    class Config:
        orm_mode = True


MealType = Literal["breakfast", "lunch", "dinner", "snack"]


class MealIn(BaseModel):
    profile_id: int
    food_id: int
    grams: float = Field(..., gt=0, le=5000)
    meal_type: MealType
    eaten_at: Optional[datetime] = None


class MealOut(BaseModel):
    id: int
    profile_id: int
    food_id: int
    food_name: str
    grams: float
    meal_type: str
    eaten_at: datetime
    kcal: float


class DaySummary(BaseModel):
    profile_id: int
    day: date
    meals: int
    total_kcal: float
    daily_kcal_goal: int
    remaining_kcal: float
