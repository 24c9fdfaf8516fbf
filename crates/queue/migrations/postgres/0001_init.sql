-- Leakwall's queue tables on PostgreSQL. Several named queues share them through the `queue`
-- column. Times are milliseconds since the Unix epoch.

-- One row per message that is not deleted or dead. `receipt` is `<id>:<token>` while leased
-- (or after its lease expired, until the next lease) and NULL when never leased or released.
CREATE TABLE IF NOT EXISTS queue_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    visible_at BIGINT NOT NULL,
    receipt TEXT,
    receive_count INTEGER NOT NULL DEFAULT 0
);

-- Leasing takes the earliest visible messages of one queue.
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at);

-- Messages given up on, with why.
CREATE TABLE IF NOT EXISTS queue_dead_letters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    receive_count INTEGER NOT NULL,
    sent_at BIGINT NOT NULL,
    failed_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS queue_dead_letters_queue ON queue_dead_letters (queue, failed_at);

-- Every insert (send, send_batch, requeue) wakes the long polls of its queue in every
-- process: one notification per queue and statement on the channel `leakwall_queue_<name>`,
-- delivered at commit, with the number of rows inserted as its payload.
CREATE OR REPLACE FUNCTION queue_messages_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leakwall_queue_' || queue, COUNT(*)::text) FROM sent GROUP BY queue;
    RETURN NULL;
END;
$$;

CREATE TRIGGER queue_messages_notify AFTER INSERT ON queue_messages
    REFERENCING NEW TABLE AS sent
    FOR EACH STATEMENT EXECUTE FUNCTION queue_messages_notify();
