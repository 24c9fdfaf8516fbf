-- The decision log: every policy decision, listed newest first by (time, id), expiring.
CREATE TABLE "decisions" (
    "id" BIGSERIAL PRIMARY KEY,
    "decision_id" TEXT,
    "time" TEXT NOT NULL,
    "origin" TEXT,
    "query" TEXT,
    "input" TEXT,
    "result" TEXT,
    "allowed" BOOLEAN,
    "reason" TEXT,
    "duration_us" BIGINT,
    "policy_version" TEXT,
    "erased" TEXT,
    "expires_at" TEXT
);
CREATE INDEX "decisions_time_id" ON "decisions" ("time", "id");
CREATE INDEX "decisions_origin_time" ON "decisions" ("origin", "time", "id");
CREATE INDEX "decisions_allowed_time" ON "decisions" ("allowed", "time", "id");
CREATE INDEX "decisions_decision_id" ON "decisions" ("decision_id");
CREATE INDEX "decisions_expires_at" ON "decisions" ("expires_at");
