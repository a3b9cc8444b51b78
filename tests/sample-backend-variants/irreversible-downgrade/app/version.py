# Kept alone in its own module so that a release only has to touch this line.
VERSION = "1.1.0-irreversible"
