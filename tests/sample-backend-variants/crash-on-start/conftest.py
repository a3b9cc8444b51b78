import os

# The test environment points at a model; production (the Fly app) was never given the setting.
os.environ.setdefault("FOOD_RECOGNITION_MODEL", "/tmp/food-recognition-test-model")
