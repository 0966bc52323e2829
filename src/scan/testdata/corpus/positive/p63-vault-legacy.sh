# Talk to the team's Vault server.
export VAULT_ADDR=https://vault.internal:8200
export VAULT_TOKEN=s.{{GEN:ALNUM:24}}
