-- Peers are summarized per subject (a torrent's infohash, or "ed2k:" and
-- an ed2k hash); the peers table's infohash column holds the subject.
-- Torrents are indexed by the sizes of their files, and each checkpoint
-- keeps when it was stored.
CREATE TABLE torrent_by_size (
	size     bigint NOT NULL,
	infohash bytea NOT NULL,
	PRIMARY KEY (size, infohash)
);
ALTER TABLE checkpoints ADD COLUMN stored timestamptz;
