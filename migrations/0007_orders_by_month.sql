-- `orders` partitioned by month on created_at (DESIGN §4): a month's orders and their indexes stay
-- together, the indexes a sale writes into are those of the current month only, and an old month can
-- be detached and archived whole.
--
-- A partitioned table's unique keys must contain the partition key, so the primary key becomes
-- (order_id, created_at) and orders no longer carry their own unique (user_id, idempotency_key): one
-- order per (user, Idempotency-Key) is kept by idempotency_keys, whose row every order writes in the
-- same statement (orders_insert_placed inserts an order only where it inserted that row). For the
-- same reason order_items no longer references orders(order_id); its rows are written with their
-- order's, in the same statement, and orders are never deleted.

-- Creates the missing monthly partitions from p_from's month to p_to's (UTC months), named
-- orders_YYYY_MM, and returns how many it created. Orders that went to the default partition for want
-- of their month's are moved into it. Serialised by an advisory lock, so processes starting together do
-- not race to create the same partition. A partition is attached rather than created in place: that
-- locks `orders` only against other schema changes, not against the order path.
CREATE FUNCTION orders_add_month_partitions(p_from timestamptz, p_to timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamp := date_trunc('month', p_from AT TIME ZONE 'UTC');
  last_month timestamp := date_trunc('month', p_to AT TIME ZONE 'UTC');
  partition_name text;
  lower_bound timestamptz;
  upper_bound timestamptz;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('orders_add_month_partitions'));
  WHILE month_start <= last_month LOOP
    partition_name := 'orders_' || to_char(month_start, 'YYYY_MM');
    lower_bound := month_start AT TIME ZONE 'UTC';
    upper_bound := (month_start + interval '1 month') AT TIME ZONE 'UTC';
    IF to_regclass(partition_name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I (LIKE orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition_name);
      IF to_regclass('orders_default') IS NOT NULL THEN
        EXECUTE format(
          'WITH moved AS (DELETE FROM orders_default WHERE created_at >= %L AND created_at < %L RETURNING *)
           INSERT INTO %I SELECT * FROM moved',
          lower_bound, upper_bound, partition_name
        );
      END IF;
      EXECUTE format(
        'ALTER TABLE orders ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, upper_bound
      );
      created := created + 1;
    END IF;
    month_start := month_start + interval '1 month';
  END LOOP;
  RETURN created;
END
$$;

ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;
ALTER TABLE orders RENAME TO orders_unpartitioned;

CREATE TABLE orders (LIKE orders_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
-- Catches an order whose month has no partition yet (the workers create them months ahead), so an
-- order is never refused for want of one.
CREATE TABLE orders_default PARTITION OF orders DEFAULT;
SELECT orders_add_month_partitions(
  coalesce((SELECT min(created_at) FROM orders_unpartitioned), now()),
  now() + interval '3 months'
);
INSERT INTO orders SELECT * FROM orders_unpartitioned;
DROP TABLE orders_unpartitioned;

ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (order_id, created_at);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, order_id DESC);
CREATE INDEX orders_by_drop ON orders (drop_id, created_at DESC);
CREATE INDEX orders_holds_due ON orders (hold_expires_at) WHERE status = 'pending';
