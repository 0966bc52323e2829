# 1Password CLI in CI
export OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ{{GEN:BASE64:200}}
# account secret key, from the emergency kit
OP_SECRET_KEY=A3-{{GEN:UPPER:6}}-{{GEN:UPPER:11}}-{{GEN:UPPER:5}}-{{GEN:UPPER:5}}-{{GEN:UPPER:5}}
