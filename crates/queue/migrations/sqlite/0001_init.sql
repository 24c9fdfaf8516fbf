-- Leakwall's queue tables in the shared SQLite database. Several named queues share them
-- through the `queue` column. Times are milliseconds since the Unix epoch.

-- One row per message that is not deleted or dead. `receipt` is `<id>:<token>` while leased
-- (or after its lease expired, until the next lease) and NULL when never leased or released.
CREATE TABLE IF NOT EXISTS queue_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receipt TEXT,
    receive_count INTEGER NOT NULL DEFAULT 0
);

-- Leasing takes the earliest visible messages of one queue.
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at);

-- Messages given up on, with why.
CREATE TABLE IF NOT EXISTS queue_dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    receive_count INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS queue_dead_letters_queue ON queue_dead_letters (queue, failed_at);
