-- API tokens of customs serve (docs/serve.md, "Security"). Only the hash
-- of a token is kept: the token is printed once, when it is created.
CREATE TABLE api_token (
  id         TEXT PRIMARY KEY,  -- the token's public part
  name       TEXT NOT NULL,
  scope      TEXT NOT NULL,     -- read | scan | admin
  hash       TEXT NOT NULL,     -- hex SHA-256 of the whole token
  created_at TIMESTAMPTZ NOT NULL,
  last_used  TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
