import boto3

def client():
    return boto3.client(
        "s3",
        aws_access_key_id="{{AWS_KEY_ID}}",
        region_name="eu-west-1",
    )
