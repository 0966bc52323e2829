import requests

WEBHOOK = "{{SLACK_WEBHOOK}}"

def alert(text):
    requests.post(WEBHOOK, json={"text": text}, timeout=5)
