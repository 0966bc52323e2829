const { App } = require("@slack/bolt");

const app = new App({
  token: "{{SLACK_BOT}}",
  signingSecret: process.env.SLACK_SIGNING_SECRET,
});
