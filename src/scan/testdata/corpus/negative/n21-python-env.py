import os

DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]
API_TOKEN = os.getenv("API_TOKEN", "")
SECRET_KEY = os.environ.get("SECRET_KEY")
password = get_secret("db/password")
token = generate_token(user_id=42, ttl=3600)
