from huggingface_hub import HfApi

api = HfApi(token="{{HUGGINGFACE}}")
api.upload_folder(folder_path="out", repo_id="acme/model")
