-- Identity, creators and the follow graph.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
  user_id uuid PRIMARY KEY,
  email text NOT NULL,
  username text NOT NULL,
  password_hash text NOT NULL,
  profile_image_url text,
  roles text[] NOT NULL DEFAULT '{shopper}',
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Opaque refresh tokens, stored as SHA-256 digests. A family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  expires_at timestamptz(3) NOT NULL,
  rotated_at timestamptz(3),
  revoked_at timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE creators (
  creator_id uuid PRIMARY KEY,
  user_id uuid NOT NULL UNIQUE REFERENCES users (user_id),
  creator_name text NOT NULL CHECK (char_length(creator_name) BETWEEN 1 AND 100),
  bio text,
  profile_image_url text,
  is_verified boolean NOT NULL DEFAULT false,
  total_drops integer NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX creators_newest ON creators (created_at DESC, creator_id DESC);
CREATE INDEX creators_name_trgm ON creators USING gin (lower(creator_name) gin_trgm_ops);

-- Hash-partitioned by creator so a celebrity's edges stay together.
CREATE TABLE follows (
  creator_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (creator_id, user_id)
) PARTITION BY HASH (creator_id);
DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format(
      'CREATE TABLE follows_p%s PARTITION OF follows FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
  END LOOP;
END $$;
CREATE INDEX follows_by_creator_newest ON follows (creator_id, created_at DESC, user_id DESC);
CREATE INDEX follows_by_user_newest ON follows (user_id, created_at DESC, creator_id DESC);

-- Follower counts are folded from an append-only delta log so no row is updated by every follow.
CREATE TABLE follower_count_deltas (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  creator_id uuid NOT NULL,
  delta smallint NOT NULL CHECK (delta IN (-1, 1))
);
CREATE TABLE follower_counts (
  creator_id uuid PRIMARY KEY,
  follower_count bigint NOT NULL DEFAULT 0,
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
