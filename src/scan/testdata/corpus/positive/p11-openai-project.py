from openai import OpenAI

client = OpenAI(api_key="{{OPENAI_PROJECT}}")
