-- leakhunt's shared store: one catalogue, one watchlist and seen set for
-- every sensor, and one evidence log per sensor. Values are stored as the
-- bbolt store stores them (a version byte, then JSON), so that a case moves
-- between the two without being re-encoded.

CREATE TABLE sensors (
	id       serial PRIMARY KEY,
	name     text NOT NULL UNIQUE,
	addr     text NOT NULL DEFAULT '',
	log_size bigint NOT NULL DEFAULT 0,
	created  timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE document_ids;
CREATE TABLE documents (
	id     bigint PRIMARY KEY,
	sha256 text NOT NULL UNIQUE,
	size   bigint NOT NULL,
	value  bytea NOT NULL,
	sum    bytea NOT NULL
);
CREATE INDEX documents_by_size ON documents (size);
CREATE TABLE document_hashes (
	kind text NOT NULL,
	val  text NOT NULL,
	id   bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
	PRIMARY KEY (kind, val, id)
);
-- The catalogued copies: every sensor byte-compares pieces against them.
CREATE TABLE document_chunks (
	sha256 text NOT NULL,
	n      int NOT NULL,
	data   bytea NOT NULL,
	PRIMARY KEY (sha256, n)
);

CREATE TABLE torrents (
	infohash text PRIMARY KEY,
	value    bytea NOT NULL
);
CREATE TABLE matches (
	k        bytea PRIMARY KEY,
	infohash text NOT NULL,
	value    bytea NOT NULL
);
CREATE TABLE watchlist (
	infohash     text PRIMARY KEY,
	value        bytea NOT NULL,
	lease_sensor int,
	lease_until  timestamptz
);
CREATE TABLE seen (
	infohash bytea PRIMARY KEY,
	at       bigint NOT NULL
);
CREATE TABLE fetch_claims (
	infohash bytea PRIMARY KEY,
	sensor   int NOT NULL,
	until    timestamptz NOT NULL
);
CREATE TABLE sightings (
	seq      bigserial PRIMARY KEY,
	infohash bytea,
	value    bytea NOT NULL
);
CREATE INDEX sightings_by_infohash ON sightings (infohash, seq);
CREATE TABLE state (
	k     bytea PRIMARY KEY,
	value bytea NOT NULL
);
CREATE TABLE blobs (
	sha256 bytea PRIMARY KEY,
	data   bytea NOT NULL
);

-- Each sensor's evidence log: record n's leaf and its tlog stored hashes
-- (concatenated, leaf hash first); peer is the peer key the record names.
CREATE TABLE log_records (
	sensor int NOT NULL REFERENCES sensors,
	n      bigint NOT NULL,
	leaf   bytea NOT NULL,
	hashes bytea NOT NULL,
	peer   bytea,
	PRIMARY KEY (sensor, n)
);
CREATE INDEX log_records_by_peer ON log_records (peer, sensor, n) WHERE peer IS NOT NULL;
-- The append batches committed, so that a batch retried after a lost
-- answer to its COMMIT is not appended twice.
CREATE TABLE log_batches (
	sensor int NOT NULL,
	token  bytea NOT NULL,
	first  bigint NOT NULL,
	PRIMARY KEY (sensor, token)
);
CREATE TABLE checkpoints (
	sensor int NOT NULL REFERENCES sensors,
	size   bigint NOT NULL,
	signed bytea NOT NULL,
	PRIMARY KEY (sensor, size)
);
CREATE TABLE signing_keys (
	sensor int NOT NULL REFERENCES sensors,
	seq    int NOT NULL,
	value  bytea NOT NULL,
	PRIMARY KEY (sensor, seq)
);

-- Peer summaries folded from every sensor's observations by the one rule
-- (evidence.Peer.Add), keyed as the bbolt store keys them.
CREATE TABLE peers (
	k        bytea PRIMARY KEY,
	infohash text NOT NULL,
	level    smallint NOT NULL,
	value    bytea NOT NULL
);
CREATE INDEX peers_by_level ON peers (level);
