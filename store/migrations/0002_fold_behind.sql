-- Peer summaries are folded from each sensor's log behind its appends, in
-- larger transactions, by whichever process needs them current:
-- peers_through is the log size a sensor's folded summaries cover.
ALTER TABLE sensors ADD COLUMN peers_through bigint NOT NULL DEFAULT 0;
