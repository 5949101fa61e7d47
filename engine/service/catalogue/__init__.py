"""The processes offered and their deployed versions: deploying, the current version, retiring."""
