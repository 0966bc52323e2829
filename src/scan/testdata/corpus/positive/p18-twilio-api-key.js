// Twilio client for reminders
const twilio = require("twilio");
const client = twilio("{{TWILIO_API_KEY}}", process.env.TWILIO_API_SECRET, {
  accountSid: process.env.TWILIO_ACCOUNT_SID,
});
