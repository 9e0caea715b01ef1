package evidence

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// Level is an evidence level: what an observation proves about a peer of
// a torrent. L0 and L1 never name a computer in a letter.
//
// In JSON (the evidence log's leaves) a level is its number, as it always
// has been; its text form ([Level.String], [ParseLevel], MarshalText) is
// "L0" to "L5".
type Level int

// Evidence levels; see the design page and README.
const (
	L0Listed    Level = 0 // the torrent or link was seen in an index, feed or DHT sample
	L1Announced Level = 1 // the address was listed by the DHT, a tracker or PEX
	L2Connected Level = 2 // a BitTorrent handshake for the infohash completed
	L3Claims    Level = 3 // the peer claimed a piece overlapping the document
	L4Served    Level = 4 // verified pieces from this peer alone held enough of the document, byte-compared
	L5FullCopy  Level = 5 // every piece of the document, so verified
)

// NumLevels is the number of levels, for arrays indexed by level.
const NumLevels = 6

// String returns "L0" to "L5".
func (l Level) String() string { return "L" + strconv.Itoa(int(l)) }

// Valid reports whether l is L0 to L5.
func (l Level) Valid() bool { return l >= L0Listed && l <= L5FullCopy }

// ParseLevel accepts "L4", "l4" or "4".
func ParseLevel(s string) (Level, error) {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "L")
	if len(t) == 1 && t[0] >= '0' && t[0] <= '5' {
		return Level(t[0] - '0'), nil
	}
	return 0, fmt.Errorf("evidence level %q: want L0 to L5", s)
}

// MarshalText returns "L0" to "L5".
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("evidence level %d does not exist", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText accepts what [ParseLevel] accepts.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err == nil {
		*l = v
	}
	return err
}

// MarshalJSON writes the level's number: the form of the evidence log.
func (l Level) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(l), 10), nil }

// UnmarshalJSON reads a number, or the text form in a string.
func (l *Level) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return l.UnmarshalText([]byte(s))
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("evidence level %s: %w", b, err)
	}
	*l = Level(n)
	return nil
}

// Sources of observations: how the peer was learnt or observed, or, for
// records that name no peer, what the record is.
const (
	SourceDHT     = "dht"     // listed by a DHT node (get_peers) or announced to ours
	SourceTracker = "tracker" // listed by a tracker
	SourcePEX     = "pex"     // listed by a peer (BEP 11)
	SourceLink    = "link"    // an ed2k link's source list named the address
	SourceKad     = "kad"     // a Kad node answered a source search with the address
	SourceProbe   = "probe"   // observed by [Prober.Probe]
	// SourceKey records register a signing key: the first one of a store
	// and every later change.
	SourceKey = "key"
	// SourceClock records are clock measurements made between probe
	// rounds, so that each probe's time is bracketed by measurements in
	// the signed log.
	SourceClock = "clock"
)

// NamesPeer reports whether the record is about a peer (false for key and
// clock records).
func (o *Observation) NamesPeer() bool { return o.Source != SourceKey && o.Source != SourceClock }

// Leaf is the canonical byte form of an observation: its JSON encoding.
// The evidence log's leaf hash is tlog.RecordHash(Leaf()).
func (o *Observation) Leaf() ([]byte, error) { return json.Marshal(o) }

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
	// Level is the evidence level this observation proves.
	Level Level `json:"level"`
	// Source says how the peer was learnt or observed: "dht", "tracker",
	// "pex", "probe", and on the eMule network "link" and "kad".
	Source    string               `json:"source"`
	IP        string               `json:"ip"`
	Port      int                  `json:"port"`
	PeerID    string               `json:"peer_id,omitempty"` // hex of the 20 bytes (ed2k: of the 16-byte user hash)
	Client    string               `json:"client,omitempty"`  // extended handshake "v", or decoded from the peer id
	Transport string               `json:"transport,omitempty"`
	InfoHash  fingerprint.InfoHash `json:"infohash"`
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
	// the document, and how ([MatchBasis]), kept beside the log by the
	// store.
	Basis string `json:"basis,omitempty"`
	// Error says what went wrong, if anything (a failed probe is recorded too).
	Error string `json:"error,omitempty"`
	// Reason is why a probe stopped short of what it chased, as a short
	// code ("refused", "timed-out", "handshake-closed",
	// "encryption-failed", "no-pieces", ...: Reason*).
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
	// transcript ([TranscriptFormat]), kept beside the log by the store.
	TranscriptSHA256 string `json:"transcript_sha256,omitempty"`

	// Network is the network of the observation: empty for BitTorrent
	// (every record made before other networks were probed has none, so
	// their leaves are unchanged), [NetworkED2K] for the eMule network.
	// [Observation.Net] names it.
	Network string `json:"network,omitempty"`
	// ED2K is, on the eMule network, the ed2k hash of the file, which is
	// the whole catalogued document; InfoHash is then zero.
	ED2K fingerprint.ED2KHash `json:"ed2k,omitzero"`
	// PartsClaimed are, on the eMule network, the parts (of
	// [ED2KPartSize] bytes) the peer's file status claimed (capped;
	// ClaimedCount is the full count).
	PartsClaimed []int `json:"parts_claimed,omitempty"`
	// BlockRequested is, on the eMule network, the byte range of the file
	// asked for in one block request; BlockVerified is the same range once
	// every byte received from this peer equalled the catalogued copy.
	BlockRequested *ByteRange `json:"block_requested,omitempty"`
	BlockVerified  *ByteRange `json:"block_verified,omitempty"`
	// Sensor names the hunter that made the observation, in a store that
	// several share (PostgreSQL); empty in a single hunter's store.
	Sensor string `json:"sensor,omitempty"`
	// SensorAddr is that hunter's public address as its operator gave it
	// (--sensor-addr), if given.
	SensorAddr string `json:"sensor_addr,omitempty"`
}

// Networks an observation can name ([Observation.Net]).
const (
	NetworkBitTorrent = "bittorrent"
	NetworkED2K       = "ed2k"
)

// TransportED2K is the transport of ed2k probes: one plain TCP
// connection speaking the ed2k client protocol.
const TransportED2K = "ed2k-tcp"

// ED2KPartSize is the size of an ed2k part, the unit of a file status.
const ED2KPartSize = 9_728_000

// ByteRange is a byte range [Start, End) of a file.
type ByteRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Net names the observation's network: [NetworkBitTorrent] when the
// record names none.
func (o *Observation) Net() string { return netName(o.Network) }

func netName(n string) string {
	if n == "" {
		return NetworkBitTorrent
	}
	return n
}

// Subject names what the peer was observed sharing: the infohash (hex)
// on BitTorrent, "ed2k:" and the ed2k hash on the eMule network. Peers
// are summarized per subject and address.
func (o *Observation) Subject() string { return subject(o.Network, o.InfoHash, o.ED2K) }

func subject(network string, ih fingerprint.InfoHash, h fingerprint.ED2KHash) string {
	if network == NetworkED2K {
		return "ed2k:" + h.String()
	}
	return ih.String()
}

// Peer is the summary of all observations of one IP:port for one torrent.
type Peer struct {
	IP             string               `json:"ip"`
	Port           int                  `json:"port"`
	InfoHash       fingerprint.InfoHash `json:"infohash"`
	Document       string               `json:"document,omitempty"`
	Level          Level                `json:"level"`
	FirstSeen      time.Time            `json:"first_seen"`
	LastSeen       time.Time            `json:"last_seen"`
	PeerID         string               `json:"peer_id,omitempty"`
	Client         string               `json:"client,omitempty"`
	Transport      string               `json:"transport,omitempty"`
	PiecesVerified []int                `json:"pieces_verified,omitempty"`
	// PiecesFailed are pieces from this peer that failed verification.
	PiecesFailed []int `json:"pieces_failed,omitempty"`
	// Reason and Tried are the latest probe's (see [Observation]).
	Reason string   `json:"reason,omitempty"`
	Tried  []string `json:"transports_tried,omitempty"`
	// Observations counts this peer's observations in the evidence log.
	Observations int `json:"observations"`
	// Network and ED2K are the observations' (see [Observation]): empty
	// and zero on BitTorrent.
	Network string               `json:"network,omitempty"`
	ED2K    fingerprint.ED2KHash `json:"ed2k,omitzero"`
	// BlockVerified is the latest ed2k block verified from this peer.
	BlockVerified *ByteRange `json:"block_verified,omitempty"`
}

// Net names the peer's network ([Observation.Net]).
func (p *Peer) Net() string { return netName(p.Network) }

// Subject is the peer's [Observation.Subject].
func (p *Peer) Subject() string { return subject(p.Network, p.InfoHash, p.ED2K) }

// Add folds one observation of the peer into its summary. It is the one
// rule by which stores and reports summarize a peer: first and last seen
// (a probe's end counts), the highest level, the latest identity and
// outcome, and the pieces verified and failed (the smallest 1,024 of
// each).
func (p *Peer) Add(o *Observation) {
	if p.Observations == 0 && p.IP == "" {
		p.IP, p.Port, p.InfoHash, p.Level = o.IP, o.Port, o.InfoHash, -1
		p.Network, p.ED2K = o.Network, o.ED2K
	}
	if p.FirstSeen.IsZero() || o.Time.Before(p.FirstSeen) {
		p.FirstSeen = o.Time
	}
	if o.Time.After(p.LastSeen) {
		p.LastSeen = o.Time
	}
	if o.Ended.After(p.LastSeen) {
		p.LastSeen = o.Ended
	}
	if len(o.Tried) > 0 { // a probe: its outcome replaces the last one's
		p.Reason, p.Tried = o.Reason, slices.Clone(o.Tried)
	}
	if o.Level > p.Level {
		p.Level = o.Level
	}
	if o.Document != "" {
		p.Document = o.Document
	}
	if o.PeerID != "" {
		p.PeerID = o.PeerID
	}
	if o.Client != "" {
		p.Client = o.Client
	}
	if o.Transport != "" {
		p.Transport = o.Transport
	}
	if o.BlockVerified != nil {
		b := *o.BlockVerified
		p.BlockVerified = &b
	}
	p.PiecesVerified = MergePieces(p.PiecesVerified, o.PiecesVerified)
	p.PiecesFailed = MergePieces(p.PiecesFailed, o.PiecesFailed)
	p.Observations++
}

// MaxSummaryPieces caps the piece lists of a [Peer] summary.
const MaxSummaryPieces = 1024

// MergePieces is the sorted union of two piece lists, the smallest
// [MaxSummaryPieces] kept, so that a summary stays small.
func MergePieces(a, b []int) []int {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), MaxSummaryPieces)]
}

// SigningKey is one key that signs the store's checkpoints, as registered
// in the store's key history.
type SigningKey struct {
	// Fingerprint is the key's fingerprint ("SHA256:…"), as published.
	Fingerprint string `json:"fingerprint"`
	// VerifierKey is the public key in golang.org/x/mod/sumdb/note form.
	VerifierKey string `json:"verifier_key"`
	// Record is the log index of the record registering the key; it signs
	// the checkpoints of the trees that hold that record, until the next
	// key's record.
	Record int64 `json:"record"`
	// Time is when the key was registered (UTC).
	Time time.Time `json:"time"`
	// Reason says why ("first key of this store", "--new-key: ...").
	Reason string `json:"reason"`
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
