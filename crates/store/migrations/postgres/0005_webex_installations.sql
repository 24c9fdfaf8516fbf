-- Webex organizations that installed our integration (issue 8): one row per org. The
-- compliance officer's access and refresh tokens and the webhook's signing secret are stored
-- sealed by the server (authenticated encryption with a key from its configuration); the
-- store never sees them in the clear. Expiries are RFC 3339 times.
CREATE TABLE "webex_installations" (
    "org_id" TEXT NOT NULL PRIMARY KEY,
    "access_token" TEXT NOT NULL,
    "access_expires_at" TEXT NOT NULL,
    "refresh_token" TEXT NOT NULL,
    "refresh_expires_at" TEXT,
    "scopes" TEXT NOT NULL,
    "webhook_id" TEXT,
    "webhook_secret" TEXT,
    "webhook_status" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE INDEX "webex_installations_access_expires_at" ON "webex_installations" ("access_expires_at");
