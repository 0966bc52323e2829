CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  password_hash text NOT NULL,
  api_token_digest bytea,
  reset_token_expires_at timestamptz
);
