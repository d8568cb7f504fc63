-- A statement that inserts many follows records one count delta per creator for all of them, not one
-- row per follow: the delta is any non-zero number of follows gained or lost.
ALTER TABLE follower_count_deltas DROP CONSTRAINT follower_count_deltas_delta_check;
ALTER TABLE follower_count_deltas ADD CONSTRAINT follower_count_deltas_delta_check CHECK (delta <> 0);
