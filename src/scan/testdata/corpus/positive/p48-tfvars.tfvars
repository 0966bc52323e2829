region         = "eu-central-1"
aws_access_key = "{{AWS_KEY_ID}}"
aws_secret_key = "{{AWS_SECRET}}"
