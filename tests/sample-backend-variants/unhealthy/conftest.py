import os

# The test environment has the recommender configured; production (the Fly app) does not.
os.environ.setdefault("RECOMMENDER_URL", "http://127.0.0.1:9/recommend")
