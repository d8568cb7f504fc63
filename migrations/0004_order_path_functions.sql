-- The order path's write as two functions, one per module, called together in one statement: a group
-- of orders is one round trip and one commit, and the drop's row stays locked only while the database
-- works, never across a round trip to the application. Each statement inside a function sees the
-- changes committed before it started, so everything after the drop's row lock reads current figures.
-- Refusals are errors with their own SQLSTATE, so the statement (and all it wrote) is undone whole.

-- Takes a group's units from one drop, with the per-user limit guarded again, the ledger rows and the
-- stock events (changed; low and sold out when crossed). p_lines: [{variant_id, quantity, order_id,
-- user_id}]. p_event_ids: ids for stock.changed, stock.low and drop.sold_out. Raises LD001 when the
-- drop is not live, LD002 past a per-user limit; a CHECK violation (23514) when stock would go negative.
CREATE FUNCTION drops_take_stock(p_drop uuid, p_lines jsonb, p_event_ids uuid[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  lines_total integer;
  users_count integer;
  allowed integer;
  locked record;
  remaining_before integer;
  snapshot jsonb;
BEGIN
  SELECT coalesce(sum(quantity), 0), count(DISTINCT user_id) INTO lines_total, users_count
  FROM jsonb_to_recordset(p_lines) AS l (quantity integer, user_id uuid);

  -- Every stock change locks the drop's row first: changes to one drop happen one after another.
  UPDATE drops SET remaining_inventory = remaining_inventory - lines_total, stock_version = stock_version + 1
  WHERE drop_id = p_drop AND status = 'live' AND end_time > now()
  RETURNING remaining_inventory, low_stock_threshold, per_user_limit, stock_version, creator_id INTO locked;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'drop_not_live' USING ERRCODE = 'LD001';
  END IF;

  UPDATE drop_items AS di SET current_stock = di.current_stock - v.quantity
  FROM (
    SELECT variant_id, sum(quantity)::integer AS quantity
    FROM jsonb_to_recordset(p_lines) AS l (variant_id uuid, quantity integer) GROUP BY variant_id
  ) AS v
  WHERE di.drop_id = p_drop AND di.variant_id = v.variant_id;

  WITH per_user AS (
    SELECT user_id, sum(quantity)::integer AS quantity
    FROM jsonb_to_recordset(p_lines) AS l (user_id uuid, quantity integer) GROUP BY user_id
  ), upserted AS (
    INSERT INTO drop_purchases AS p (drop_id, user_id, quantity)
    SELECT p_drop, u.user_id, u.quantity FROM per_user u WHERE u.quantity <= locked.per_user_limit
    ON CONFLICT (drop_id, user_id) DO UPDATE SET quantity = p.quantity + EXCLUDED.quantity
    WHERE p.quantity + EXCLUDED.quantity <= locked.per_user_limit
    RETURNING 1
  )
  SELECT count(*) INTO allowed FROM upserted;
  IF allowed <> users_count THEN
    RAISE EXCEPTION 'purchase_limit_exceeded' USING ERRCODE = 'LD002';
  END IF;

  INSERT INTO inventory_ledger (drop_id, variant_id, change, reason, order_id)
  SELECT p_drop, variant_id, -quantity, 'reserve', order_id
  FROM jsonb_to_recordset(p_lines) AS l (variant_id uuid, quantity integer, order_id uuid);

  remaining_before := locked.remaining_inventory + lines_total;
  snapshot := jsonb_build_object(
    'drop_id', p_drop,
    'remaining_inventory', locked.remaining_inventory,
    'version', locked.stock_version,
    'items', (
      SELECT coalesce(jsonb_agg(jsonb_build_object(
        'product_id', di.product_id, 'variant_id', di.variant_id, 'available', di.current_stock
      ) ORDER BY di.position), '[]'::jsonb)
      FROM drop_items di WHERE di.drop_id = p_drop
    )
  );
  INSERT INTO outbox (id, topic, key, payload) VALUES (p_event_ids[1], 'stock.changed', p_drop::text, snapshot);
  IF remaining_before > locked.low_stock_threshold AND locked.remaining_inventory <= locked.low_stock_threshold
     AND locked.remaining_inventory > 0 THEN
    INSERT INTO outbox (id, topic, key, payload) VALUES (
      p_event_ids[2], 'stock.low', p_drop::text,
      snapshot || jsonb_build_object('low_stock_threshold', locked.low_stock_threshold)
    );
  END IF;
  IF remaining_before > 0 AND locked.remaining_inventory = 0 THEN
    INSERT INTO outbox (id, topic, key, payload) VALUES (
      p_event_ids[3], 'drop.sold_out', p_drop::text,
      jsonb_build_object('drop_id', p_drop, 'creator_id', locked.creator_id)
    );
  END IF;
  RETURN locked.remaining_inventory;
END
$$;

-- Writes placed orders: durable idempotency records, orders, items, the audit trail and the order
-- events. p_orders: [{order_id, user_id, drop_id, creator_id, status, total_amount, currency,
-- payment_id, hold_expires_at, idempotency_key, created_at, updated_at, fingerprint, status_code,
-- response, actor}]; p_items: [{order_id, position, product_id, variant_id, quantity, unit_price,
-- total_price}]; p_events: [{id, topic, key, payload}]. Raises LD003 when a (user, key) already has a
-- durable record.
CREATE FUNCTION orders_insert_placed(p_orders jsonb, p_items jsonb, p_events jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  written integer;
BEGIN
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(p_orders) AS t (
      order_id uuid, user_id uuid, drop_id uuid, creator_id uuid, status text, total_amount bigint,
      currency text, payment_id text, hold_expires_at timestamptz, idempotency_key text,
      created_at timestamptz, updated_at timestamptz, fingerprint text, status_code integer,
      response text, actor text
    )
  ), claimed AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, state, status_code, response, expires_at)
    SELECT user_id, idempotency_key, fingerprint, 'completed', status_code, response,
           now() + interval '25 hours'
    FROM input
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING user_id, key
  ), placed AS (
    INSERT INTO orders (order_id, user_id, drop_id, creator_id, status, total_amount, currency,
                        payment_id, hold_expires_at, idempotency_key, created_at, updated_at)
    SELECT i.order_id, i.user_id, i.drop_id, i.creator_id, i.status, i.total_amount, i.currency,
           i.payment_id, i.hold_expires_at, i.idempotency_key, i.created_at, i.updated_at
    FROM input i JOIN claimed c ON c.user_id = i.user_id AND c.key = i.idempotency_key
    RETURNING order_id
  ), audit AS (
    INSERT INTO order_events (order_id, from_status, to_status, actor, reason, at)
    SELECT i.order_id, NULL, i.status, i.actor, 'placed', i.created_at
    FROM input i WHERE i.order_id IN (SELECT order_id FROM placed)
  )
  SELECT count(*) INTO written FROM placed;
  IF written <> jsonb_array_length(p_orders) THEN
    RAISE EXCEPTION 'key_already_used' USING ERRCODE = 'LD003';
  END IF;

  INSERT INTO order_items (order_id, position, product_id, variant_id, quantity, unit_price, total_price)
  SELECT * FROM jsonb_to_recordset(p_items) AS l (
    order_id uuid, position smallint, product_id uuid, variant_id uuid, quantity integer,
    unit_price bigint, total_price bigint
  );
  INSERT INTO outbox (id, topic, key, payload)
  SELECT * FROM jsonb_to_recordset(p_events) AS e (id uuid, topic text, key text, payload jsonb);
  RETURN written;
END
$$;
