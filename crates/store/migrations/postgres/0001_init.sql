-- Leakwall store, migration 1 (PostgreSQL): every table of the admin API.
-- Times are TEXT in fixed-width RFC 3339 UTC with milliseconds; JSON is TEXT; booleans are BOOLEAN.
CREATE TABLE "detectors" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "pattern" TEXT,
    "category" TEXT,
    "confidence" DOUBLE PRECISION,
    "keywords" TEXT,
    "validator" TEXT,
    "enabled" BOOLEAN,
    "description" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "incidents" (
    "id" BIGSERIAL PRIMARY KEY,
    "source" TEXT NOT NULL,
    "channel" TEXT,
    "author" TEXT,
    "message" TEXT,
    "file" TEXT,
    "location" TEXT,
    "excerpt" TEXT,
    "detector" TEXT NOT NULL,
    "category" TEXT,
    "confidence" DOUBLE PRECISION,
    "action" TEXT,
    "outcome" TEXT,
    "status" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE INDEX "incidents_status_id" ON "incidents" ("status", "id");
CREATE INDEX "incidents_detector_id" ON "incidents" ("detector", "id");
CREATE INDEX "incidents_source_channel_id" ON "incidents" ("source", "channel", "id");
CREATE INDEX "incidents_author_id" ON "incidents" ("author", "id");
CREATE INDEX "incidents_category_id" ON "incidents" ("category", "id");
CREATE INDEX "incidents_created_at" ON "incidents" ("created_at");

CREATE TABLE "policies" (
    "id" BIGSERIAL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "enabled" BOOLEAN,
    "version" BIGINT NOT NULL DEFAULT 1,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "principals" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "type" TEXT NOT NULL,
    "name" TEXT,
    "username" TEXT,
    "email" TEXT,
    "groups" TEXT,
    "enabled" BOOLEAN,
    "permitted_endpoints" TEXT,
    "filter_fields" TEXT,
    "exclude_fields" TEXT,
    "update_fields_permitted" TEXT,
    "update_fields_restricted" TEXT,
    "key_hash" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);
CREATE UNIQUE INDEX "principals_key_hash" ON "principals" ("key_hash");
CREATE INDEX "principals_type" ON "principals" ("type");

CREATE TABLE "groups" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "permitted_endpoints" TEXT,
    "filter_fields" TEXT,
    "exclude_fields" TEXT,
    "update_fields_permitted" TEXT,
    "update_fields_restricted" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL
);

CREATE TABLE "audit" (
    "id" BIGSERIAL PRIMARY KEY,
    "time" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "resource" TEXT,
    "item_id" TEXT,
    "method" TEXT,
    "path" TEXT,
    "path_params" TEXT,
    "query_params" TEXT,
    "body" TEXT,
    "user" TEXT,
    "user_id" TEXT,
    "source_ip" TEXT,
    "user_agent" TEXT,
    "expires_at" TEXT
);
CREATE INDEX "audit_resource_item_id" ON "audit" ("resource", "item_id", "id");
CREATE INDEX "audit_time" ON "audit" ("time");
CREATE INDEX "audit_expires_at" ON "audit" ("expires_at");

CREATE TABLE "idempotency_keys" (
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    PRIMARY KEY ("scope", "key")
);
CREATE INDEX "idempotency_keys_expires_at" ON "idempotency_keys" ("expires_at");

INSERT INTO "groups" ("id", "name", "permitted_endpoints", "filter_fields", "exclude_fields",
    "update_fields_permitted", "update_fields_restricted", "created_at", "updated_at")
VALUES ('admin', 'Administrators',
    '[{"method":"GET","endpoint":"^/.*$"},{"method":"POST","endpoint":"^/.*$"},{"method":"PATCH","endpoint":"^/.*$"},{"method":"DELETE","endpoint":"^/.*$"}]',
    '[]', '[]', NULL, '[]',
    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
