module.exports = {
  apiKey: process.env.API_KEY,
  secret: process.env.SESSION_SECRET,
  authToken: config.get("auth.token"),
  password: req.body.password,
};
