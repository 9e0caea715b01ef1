package store

import (
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Document is a catalogued leaked document.
type Document struct {
	// ID is assigned by [Store.AddDocument]; it is stable and never reused.
	ID uint64 `json:"id"`
	// Case groups documents of one client engagement.
	Case string `json:"case"`
	// Name is the file's base name when it was catalogued.
	Name string `json:"name"`
	fingerprint.Fingerprint
	// Added is when the document was catalogued (UTC).
	Added time.Time `json:"added"`
}

// Torrent is what leakhunt knows of one infohash.
type Torrent struct {
	// InfoHash is the v1 infohash (40 hex digits), or the truncated v2 one
	// for a v2-only torrent.
	InfoHash string `json:"infohash"`
	// InfoHashV2 is the full v2 infohash (64 hex) for v2 and hybrid torrents.
	InfoHashV2 string    `json:"infohash_v2,omitempty"`
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	Files      int       `json:"files"`
	FirstSeen  time.Time `json:"first_seen"`
	// Source names where it was first seen ("dht-sample", "web:URL", "file:PATH", ...).
	Source string `json:"source"`
	// InfoBytes is the raw bencoded info dictionary; kept only for torrents
	// that matched, so that the match can be re-checked and peers probed.
	InfoBytes []byte `json:"-"`
	// Trackers are the announce URLs the torrent named (if known).
	Trackers []string `json:"trackers,omitempty"`
}

// Match is a [fingerprint.Match] as stored: where it was found and when.
// Its JSON is the match's fields plus source and time.
type Match struct {
	fingerprint.Match
	Source string    `json:"source,omitempty"`
	Time   time.Time `json:"time"`
}

// Sighting is an L0 observation: a torrent or link seen in an index page, a
// feed, a DHT sample or a query.
type Sighting struct {
	Time     time.Time `json:"time"`
	InfoHash string    `json:"infohash,omitempty"`
	// Link is the magnet/ed2k/.torrent URL as found, if any.
	Link string `json:"link,omitempty"`
	// Source is "dht-sample", "dht-get_peers", "dht-announce", "web", "rss", "torznab".
	Source string `json:"source"`
	// URL is the page or feed the link was found on.
	URL  string `json:"url,omitempty"`
	Name string `json:"name,omitempty"`
	Size int64  `json:"size,omitempty"`
}

// Evidence levels; see the design. L0–L1 never go in a letter.
const (
	L0Listed    = 0
	L1Announced = 1
	L2Connected = 2
	L3Claims    = 3
	L4Served    = 4
	L5FullCopy  = 5
)

// Observation is one directly observed fact about one peer of one torrent.
// Observations are leaves of the evidence log: once appended they are never
// changed. Its canonical form is its JSON encoding (see [Observation.Leaf]).
type Observation struct {
	// Time is when the observation was made, UTC.
	Time time.Time `json:"time"`
	// ClockOffset is our clock's measured offset against NTP, as a Go
	// duration string ("-3.2ms"), or "unsynchronized".
	ClockOffset string `json:"clock_offset"`
	// Clock is the measurement ClockOffset comes from: the latest made at
	// or before Time. Nil in records made before measurements were kept.
	Clock *ClockMeasurement `json:"clock,omitempty"`
	// Level is the evidence level this observation proves (0–5).
	Level int `json:"level"`
	// Source says how the peer was learnt or observed: "dht", "tracker",
	// "pex", "probe".
	Source    string `json:"source"`
	IP        string `json:"ip"`
	Port      int    `json:"port"`
	PeerID    string `json:"peer_id,omitempty"` // hex of the 20 bytes
	Client    string `json:"client,omitempty"`  // extended handshake "v", or decoded from the peer id
	Transport string `json:"transport,omitempty"`
	InfoHash  string `json:"infohash"`
	// Document is the sha256 of the catalogued document this torrent carries.
	Document string `json:"document,omitempty"`
	// PiecesClaimed are pieces overlapping the document the peer claimed to
	// have (capped; ClaimedCount is the full count).
	PiecesClaimed []int `json:"pieces_claimed,omitempty"`
	ClaimedCount  int   `json:"claimed_count,omitempty"`
	// PiecesVerified were downloaded from this peer alone and hash-checked.
	PiecesVerified []int `json:"pieces_verified,omitempty"`
	// PiecesFailed were downloaded from this peer alone and failed the check.
	PiecesFailed []int `json:"pieces_failed,omitempty"`
	// DocBytesVerified is how many bytes of the document the verified
	// pieces held, each compared byte for byte with the catalogued copy.
	DocBytesVerified int64 `json:"doc_bytes_verified,omitempty"`
	// Basis is the SHA-256 (hex) of the match basis the probe relied on:
	// the record of which file of which info dictionary was proven to be
	// the document, and how (evidence.MatchBasis), kept as a blob
	// ([Store.Blob]).
	Basis string `json:"basis,omitempty"`
	// Error says what went wrong, if anything (a failed probe is recorded too).
	Error string `json:"error,omitempty"`
	// Reason is why a probe stopped short of what it chased, as a short
	// code ("refused", "timed-out", "handshake-closed",
	// "encryption-failed", "no-pieces", ...: evidence.Reason*).
	Reason string `json:"reason,omitempty"`
	// Tried are the transports a probe tried, in order ("tcp", "tcp+mse",
	// "utp", "utp+mse"); Transport is the last.
	Tried []string `json:"transports_tried,omitempty"`
	// Ended is when a probe ended (Time is when its connection began).
	Ended time.Time `json:"ended,omitzero"`
	// Detail is free text for the source (tracker URL, DHT node, ...).
	Detail string `json:"detail,omitempty"`
	// ListenAddr is our own local address for the connection.
	ListenAddr string `json:"listen_addr,omitempty"`
	// YourIP is our address as the peer saw it: the "yourip" of the
	// peer's BEP 10 extended handshake, when it sent one. Behind NAT it
	// differs from ListenAddr's address.
	YourIP string `json:"your_ip,omitempty"`
	// Version is the leakhunt version that made the observation.
	Version string `json:"version"`
	// TranscriptSHA256 is the SHA-256 (hex) of the probe's redacted wire
	// transcript (evidence.TranscriptFormat), kept as a blob ([Store.Blob]).
	TranscriptSHA256 string `json:"transcript_sha256,omitempty"`
}

// Peer is the summary of all observations of one IP:port for one torrent.
type Peer struct {
	IP             string    `json:"ip"`
	Port           int       `json:"port"`
	InfoHash       string    `json:"infohash"`
	Document       string    `json:"document,omitempty"`
	Level          int       `json:"level"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	PeerID         string    `json:"peer_id,omitempty"`
	Client         string    `json:"client,omitempty"`
	Transport      string    `json:"transport,omitempty"`
	PiecesVerified []int     `json:"pieces_verified,omitempty"`
	// PiecesFailed are pieces from this peer that failed verification.
	PiecesFailed []int `json:"pieces_failed,omitempty"`
	// Reason and Tried are the latest probe's (see [Observation]).
	Reason string   `json:"reason,omitempty"`
	Tried  []string `json:"transports_tried,omitempty"`
	// Observations counts this peer's observations in the evidence log;
	// [Store.PeerObservations] lists their indexes.
	Observations int `json:"observations"`
}

// ClockMeasurement is one measurement of our clock against NTP servers.
// Times and offsets are those of our clock when it was made.
type ClockMeasurement struct {
	// Asked are the servers queried, as configured.
	Asked []string `json:"asked"`
	// Answered counts the valid answers; Agreeing counts those whose
	// offsets agree with the median answer within the agreement
	// tolerance. An offset is used only when a majority of the answers
	// agree.
	Answered int `json:"answered"`
	Agreeing int `json:"agreeing"`
	// Server is the agreeing server whose answer was used: the one with
	// the shortest round trip. Empty when no offset was measured.
	Server string `json:"server,omitempty"`
	// Stratum is that server's stratum (1: attached to a reference clock).
	Stratum int `json:"stratum,omitempty"`
	// Offset is what to add to our clock to get the server's time.
	Offset Duration `json:"offset"`
	// RTT is the round trip of the query that was used.
	RTT Duration `json:"rtt"`
	// RootDistance is the server's own distance from its reference
	// clock (root delay / 2 + root dispersion).
	RootDistance Duration `json:"root_distance"`
	// MeasuredAt is when the measurement was made (UTC).
	MeasuredAt time.Time `json:"measured_at"`
	// Error says why no offset was measured; empty when one was.
	Error string `json:"error,omitempty"`
}

// Synchronized reports whether the measurement produced an offset.
func (m *ClockMeasurement) Synchronized() bool { return m != nil && m.Error == "" && m.Server != "" }

// ErrorBound is how far a time taken from our clock can be from the
// servers' time, at most, at the moment of the measurement:
// |offset| + round trip / 2 + root distance. ok is false when nothing was
// measured.
func (m *ClockMeasurement) ErrorBound() (d time.Duration, ok bool) {
	if !m.Synchronized() {
		return 0, false
	}
	return time.Duration(m.Offset).Abs() + time.Duration(m.RTT)/2 + time.Duration(m.RootDistance), true
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("-3.2ms"), so that records read without tools.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String is the duration as Go prints it.
func (d Duration) String() string { return time.Duration(d).String() }
