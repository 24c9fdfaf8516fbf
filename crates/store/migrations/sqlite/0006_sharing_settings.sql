-- Sharing rules (issue 9): the settings of restricted external sharing, one row (id
-- 'default') written through the admin API (audited) and read by every process. Lists and
-- maps are JSON text, as elsewhere.
CREATE TABLE "sharing_settings" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "enabled" INTEGER,
    "internal_pattern" TEXT,
    "trusted_users" TEXT,
    "groups" TEXT,
    "rules" TEXT,
    "rule_files" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
