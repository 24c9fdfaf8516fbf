-- Platform installations (Slack workspaces installed through OAuth): one row per (platform,
-- tenant). Tokens are stored sealed by the server (authenticated encryption with a key from
-- its configuration); the store never sees them in the clear.
CREATE TABLE "installations" (
    "platform" TEXT NOT NULL,
    "tenant" TEXT NOT NULL,
    "tenant_name" TEXT,
    "enterprise_id" TEXT,
    "app_id" TEXT,
    "bot_user_id" TEXT,
    "bot_token" TEXT NOT NULL,
    "bot_scopes" TEXT,
    "user_id" TEXT,
    "user_token" TEXT,
    "user_scopes" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("platform", "tenant")
);
