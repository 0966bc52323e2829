package config

const (
	defaultAPIToken = "{{HEX_SECRET}}"
	defaultTimeout  = 30
)
