-- Incidents and audit records are listed newest first by (time, id): every filter index ends
-- with the time and the id, so a filtered page is an index range read in page order, and the
-- unique values of a field are a skip scan of its index.
DROP INDEX "incidents_status_id";
DROP INDEX "incidents_detector_id";
DROP INDEX "incidents_source_channel_id";
DROP INDEX "incidents_author_id";
DROP INDEX "incidents_category_id";
DROP INDEX "incidents_created_at";
CREATE INDEX "incidents_created_at_id" ON "incidents" ("created_at", "id");
CREATE INDEX "incidents_status_time" ON "incidents" ("status", "created_at", "id");
CREATE INDEX "incidents_detector_time" ON "incidents" ("detector", "created_at", "id");
CREATE INDEX "incidents_channel_time" ON "incidents" ("channel", "created_at", "id");
CREATE INDEX "incidents_source_time" ON "incidents" ("source", "created_at", "id");
CREATE INDEX "incidents_author_time" ON "incidents" ("author", "created_at", "id");
CREATE INDEX "incidents_category_time" ON "incidents" ("category", "created_at", "id");
DROP INDEX "audit_time";
DROP INDEX "audit_resource_item_id";
CREATE INDEX "audit_time_id" ON "audit" ("time", "id");
CREATE INDEX "audit_resource_item_time" ON "audit" ("resource", "item_id", "time", "id");
CREATE INDEX "audit_action_time" ON "audit" ("action", "time", "id");
