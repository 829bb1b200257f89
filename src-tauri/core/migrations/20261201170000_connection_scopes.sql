-- The OAuth scopes a connection was signed in with (space-separated, as
-- asked of Box). NULL: a row from before scopes were kept, which was signed
-- in with the read-only default (auth::DEFAULT_SCOPE).
ALTER TABLE connections ADD COLUMN scopes TEXT;
