import requests

ADO_ORG = "https://dev.azure.com/contoso"
ado_pat = "{{GEN:BASE32:52}}"

def builds():
    return requests.get(f"{ADO_ORG}/_apis/build/builds", auth=("", ado_pat)).json()
