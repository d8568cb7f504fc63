-- The relay leases every outbox row (claimed_until) before it publishes it. Room left on each page lets
-- that update stay on the page (a HOT update: no new index entries), instead of about 9 in 10 of them
-- writing a new row version into both outbox indexes.
ALTER TABLE outbox SET (fillfactor = 50);
