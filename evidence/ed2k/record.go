package ed2k

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Observation is the evidence-log record of a probe's result, on the
// eMule network ([evidence.NetworkED2K]), with the redacted transcript it
// names by SHA-256 ([EncodeTranscript]), to be stored beside it. The peer
// id is the peer's user hash (hex), the client its software and version;
// the parts claimed, the block requested and, at L4, the block verified
// and the bytes compared equal are recorded as observed. Version and the
// clock are the caller's to fill.
func (r *Result) Observation(t Target) (evidence.Observation, []byte) {
	o := evidence.Observation{
		Time: r.Time.UTC(), Level: evidence.Level(r.Level), Source: evidence.SourceProbe,
		IP: r.Peer.Addr().String(), Port: int(r.Peer.Port()), Transport: evidence.TransportED2K,
		Document: t.Document, Network: evidence.NetworkED2K, ED2K: fingerprint.ED2KHash(t.Hash),
		Reason: r.Reason, Error: r.Error, Tried: []string{evidence.TransportED2K},
		Ended: r.Time.Add(r.Duration).UTC(), TranscriptSHA256: r.TranscriptSHA256,
	}
	if r.Local.IsValid() {
		o.ListenAddr = r.Local.String()
	}
	if r.Client.UserHash != ([16]byte{}) {
		o.PeerID = hex.EncodeToString(r.Client.UserHash[:])
		o.Client = strings.TrimSpace(r.Client.Software + " " + r.Client.Version)
	}
	if n := len(r.PartsClaimed); n > 0 {
		o.PartsClaimed = r.PartsClaimed[:min(n, evidence.MaxSummaryPieces)]
		o.ClaimedCount = n
	}
	if r.Requested.Len() > 0 {
		o.BlockRequested = &evidence.ByteRange{Start: r.Requested.Start, End: r.Requested.End}
	}
	if r.Level >= L4Served && r.Verified.Len() > 0 {
		o.BlockVerified = &evidence.ByteRange{Start: r.Verified.Start, End: r.Verified.End}
		o.DocBytesVerified = r.Verified.Len()
	}
	var detail []string
	if r.FileName != "" {
		detail = append(detail, "file name "+strconv.Quote(r.FileName))
	}
	if r.Complete {
		detail = append(detail, "file status: complete file")
	}
	if r.Compressed {
		detail = append(detail, "block sent compressed (zlib)")
	}
	if r.Queued {
		detail = append(detail, "queue rank "+strconv.Itoa(r.QueueRank))
	}
	if r.MismatchAt >= 0 {
		detail = append(detail, "first differing byte at offset "+strconv.FormatInt(r.MismatchAt, 10))
	}
	o.Detail = strings.Join(detail, "; ")
	var tr []byte
	if len(r.Transcript) > 0 {
		tr = EncodeTranscript(r.Transcript)
	}
	return o, tr
}
