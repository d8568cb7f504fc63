-- Catalog, drops, inventory, orders, idempotency and the outbox.

CREATE TABLE products (
  product_id uuid PRIMARY KEY,
  creator_id uuid NOT NULL REFERENCES creators (creator_id),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description text,
  base_price bigint NOT NULL CHECK (base_price >= 0),
  currency char(3) NOT NULL DEFAULT 'USD',
  category text,
  images_urls text[] NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true,
  search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(category, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'C')
  ) STORED,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX products_newest ON products (created_at DESC, product_id DESC);
CREATE INDEX products_by_creator ON products (creator_id, created_at DESC, product_id DESC);
CREATE INDEX products_search ON products USING gin (search_vector);
CREATE INDEX products_name_trgm ON products USING gin (lower(name) gin_trgm_ops);

CREATE TABLE product_variants (
  variant_id uuid PRIMARY KEY,
  product_id uuid NOT NULL REFERENCES products (product_id) ON DELETE CASCADE,
  sku text NOT NULL,
  name text NOT NULL,
  position smallint NOT NULL DEFAULT 0,
  UNIQUE (product_id, sku)
);
CREATE INDEX product_variants_by_product ON product_variants (product_id, position);

CREATE TABLE drops (
  drop_id uuid PRIMARY KEY,
  creator_id uuid NOT NULL REFERENCES creators (creator_id),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description text,
  status text NOT NULL CHECK (status IN ('scheduled', 'live', 'ended')),
  start_time timestamptz(3) NOT NULL,
  end_time timestamptz(3) NOT NULL,
  low_stock_threshold integer NOT NULL CHECK (low_stock_threshold >= 0),
  per_user_limit integer NOT NULL CHECK (per_user_limit >= 1),
  total_inventory integer NOT NULL CHECK (total_inventory >= 0),
  -- Kept equal to sum(drop_items.current_stock) in the same transaction; its row lock orders the
  -- low-stock and sold-out crossings so each is announced exactly once.
  remaining_inventory integer NOT NULL CHECK (remaining_inventory >= 0),
  -- Bumped with every stock change so consumers can keep the newest of out-of-order updates.
  stock_version bigint NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  CHECK (end_time > start_time)
);
CREATE INDEX drops_newest ON drops (created_at DESC, drop_id DESC);
CREATE INDEX drops_by_status ON drops (status, created_at DESC, drop_id DESC);
CREATE INDEX drops_by_creator ON drops (creator_id, created_at DESC, drop_id DESC);
CREATE INDEX drops_due_to_start ON drops (start_time) WHERE status = 'scheduled';
CREATE INDEX drops_due_to_end ON drops (end_time) WHERE status = 'live';

CREATE TABLE drop_items (
  drop_id uuid NOT NULL REFERENCES drops (drop_id) ON DELETE CASCADE,
  product_id uuid NOT NULL REFERENCES products (product_id),
  variant_id uuid NOT NULL REFERENCES product_variants (variant_id),
  position smallint NOT NULL,
  name text NOT NULL,
  drop_price bigint NOT NULL CHECK (drop_price >= 0),
  currency char(3) NOT NULL,
  initial_stock integer NOT NULL CHECK (initial_stock >= 0),
  current_stock integer NOT NULL CHECK (current_stock >= 0),
  PRIMARY KEY (drop_id, variant_id),
  CHECK (current_stock <= initial_stock)
);

-- Units a user holds or bought per drop; the guarded upsert in the order transaction enforces the
-- per-user limit even if the gate were wrong.
CREATE TABLE drop_purchases (
  drop_id uuid NOT NULL,
  user_id uuid NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (drop_id, user_id)
);

-- Append-only: initial_stock + sum(change) = current_stock for every drop item.
CREATE TABLE inventory_ledger (
  entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  drop_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  change integer NOT NULL,
  reason text NOT NULL CHECK (reason IN ('reserve', 'release', 'restock')),
  order_id uuid,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX inventory_ledger_by_item ON inventory_ledger (drop_id, variant_id);

CREATE TABLE orders (
  order_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  drop_id uuid NOT NULL,
  creator_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired', 'shipped')),
  total_amount bigint NOT NULL CHECK (total_amount >= 0),
  currency char(3) NOT NULL,
  payment_id text,
  hold_expires_at timestamptz(3),
  idempotency_key text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC, order_id DESC);
CREATE INDEX orders_by_drop ON orders (drop_id, created_at DESC);
CREATE INDEX orders_holds_due ON orders (hold_expires_at) WHERE status = 'pending';

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
  position smallint NOT NULL,
  product_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price bigint NOT NULL,
  total_price bigint NOT NULL,
  PRIMARY KEY (order_id, position)
);

-- Append-only audit trail of order state changes.
CREATE TABLE order_events (
  event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL,
  actor text NOT NULL,
  reason text NOT NULL,
  at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX order_events_by_order ON order_events (order_id, event_id);

-- The durable record of a finished order request, for replays after the fast store forgets.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
  status_code integer,
  response text,
  expires_at timestamptz(3) NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Written in the same transaction as the change it describes; a relay publishes and marks it.
CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  topic text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  -- A relay leases rows while it publishes them; a relay that dies lets its lease run out.
  claimed_until timestamptz(3),
  published_at timestamptz(3)
);
CREATE INDEX outbox_unpublished ON outbox (created_at, id) WHERE published_at IS NULL;
