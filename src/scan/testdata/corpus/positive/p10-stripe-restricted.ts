import Stripe from "stripe";

export const stripe = new Stripe("{{STRIPE_RESTRICTED}}", {
  apiVersion: "2024-04-10",
});
