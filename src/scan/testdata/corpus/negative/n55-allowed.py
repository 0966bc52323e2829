# Deliberate fixture, reviewed.
FIXTURE_KEY = "{{AWS_KEY_ID}}"  # vault:allow
