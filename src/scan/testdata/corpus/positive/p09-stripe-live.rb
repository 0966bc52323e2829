Stripe.api_key = "{{STRIPE_LIVE}}"
Stripe.api_version = "2024-04-10"
