"""ORM mapping of the schema at the head revision of migrations/."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, Numeric, String, func
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Profile(Base):
    __tablename__ = "profiles"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    daily_kcal_goal = Column(Integer, nullable=False, server_default="2000")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Food(Base):
    __tablename__ = "foods"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    brand = Column(String(120), nullable=True)
    # asdecimal=False: the API speaks JSON numbers, and SQLite (tests) has no decimal type.
    kcal_per_100g = Column(Numeric(7, 2, asdecimal=False), nullable=False)
    protein_g = Column(Numeric(6, 2, asdecimal=False), nullable=False)
    carbs_g = Column(Numeric(6, 2, asdecimal=False), nullable=False)
    fat_g = Column(Numeric(6, 2, asdecimal=False), nullable=False)
    category = Column(String(40), nullable=False, server_default="other")  # since 0002
    serving_g = Column(Numeric(6, 1, asdecimal=False), nullable=True, server_default="100")  # since 0004
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Meal(Base):
    __tablename__ = "meals"

    id = Column(Integer, primary_key=True)
    profile_id = Column(Integer, ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False)
    food_id = Column(Integer, ForeignKey("foods.id"), nullable=False)
    grams = Column(Numeric(7, 2, asdecimal=False), nullable=False)
    meal_type = Column(String(20), nullable=False)
    eaten_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())

    food = relationship(Food, lazy="joined")

    __table_args__ = (Index("ix_meals_profile_id_eaten_at", "profile_id", "eaten_at"),)  # since 0003
