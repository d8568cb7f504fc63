-- Notifications (personal rows plus a per-creator feed merged at read time) and the analytics intake.

-- A user's own notifications (order outcomes). The event id is the notification id, so a redelivered
-- event inserts nothing.
CREATE TABLE notifications (
  notification_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL,
  read_at timestamptz(3)
);
-- The inbox walks this index newest first, from the cursor on.
CREATE INDEX notifications_inbox ON notifications (user_id, created_at DESC, notification_id DESC);

-- One row per drop event of a creator, never one per follower: followers' inboxes read it through
-- their follows. event_id is the bus event id.
CREATE TABLE creator_feed (
  event_id uuid PRIMARY KEY,
  creator_id uuid NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL
);
-- One short index probe per followed creator, newest first, from the cursor on.
CREATE INDEX creator_feed_by_creator ON creator_feed (creator_id, created_at DESC, event_id DESC);

-- Read marks of feed items, per reader (a feed row is shared by every follower).
CREATE TABLE notification_reads (
  user_id uuid NOT NULL,
  notification_id uuid NOT NULL,
  read_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, notification_id)
);

-- "Mark all read" is one row per user: everything created up to this instant counts as read.
CREATE TABLE notification_read_marks (
  user_id uuid PRIMARY KEY,
  read_all_before timestamptz(3) NOT NULL
);

-- Append-only client analytics; never updated, read in bulk by time.
CREATE TABLE analytics_events (
  event_id uuid PRIMARY KEY,
  event_type text NOT NULL,
  user_id uuid,
  creator_id uuid,
  drop_id uuid,
  product_id uuid,
  session_id text,
  metadata jsonb,
  received_at timestamptz(3) NOT NULL DEFAULT now()
);
-- Rows arrive in time order, so a block-range index costs next to nothing on insert.
CREATE INDEX analytics_events_received ON analytics_events USING brin (received_at);
