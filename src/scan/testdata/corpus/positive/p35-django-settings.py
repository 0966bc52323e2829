from .base import *

DEBUG = False
SECRET_KEY = "{{PASSWORD}}"
ALLOWED_HOSTS = ["acme.dev"]
