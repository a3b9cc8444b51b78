"""Food photo recognition. The model location is a new, required setting of this release."""
import os


class RecognitionModel:
    def __init__(self, location: str):
        self.location = location


def load_model() -> RecognitionModel:
    location = os.environ.get("FOOD_RECOGNITION_MODEL")
    if not location:
        raise RuntimeError("ERROR FOOD_RECOGNITION_MODEL is not set: cannot load the food recognition model, "
                           "refusing to start")
    return RecognitionModel(location)
