package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Loopback is where opentracker and the clients' control interfaces
// listen. Each client listens for peers, and announces, from an address of
// its own in 127.0.0.0/8 (all of it is loopback), as hosts of a real swarm
// have addresses of their own: clients such as Transmission keep one
// connection per remote address, so test clients sharing 127.0.0.1 would
// turn each other's connections (and ours) away.
var Loopback = netip.MustParseAddr("127.0.0.1")

var lastHost atomic.Uint32

// newHost returns a loopback address of 127.0.0.2 to 127.0.0.254 for one
// client.
func newHost() netip.Addr {
	n := lastHost.Add(1)
	return netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + n%253)})
}

// StartTimeout bounds how long a client may take to start and report that
// it holds its torrent.
const StartTimeout = 30 * time.Second

// Torrent is a document of random bytes and a v1 single-file torrent of it.
type Torrent struct {
	// Name is the file's name, and the torrent's.
	Name string
	// Doc is the document's bytes.
	Doc []byte
	// InfoBytes is the bencoded info dictionary; InfoHash its SHA-1.
	InfoBytes []byte
	InfoHash  [20]byte
	// PieceLength is the torrent's piece length.
	PieceLength int64
	// Trackers are the announce URLs the .torrent names.
	Trackers []string
}

// NewTorrent makes a document of size random bytes (seeded by seed) named
// name and a v1 torrent of it with the given piece length (built with
// anacrolix/torrent's metainfo) that names the trackers.
func NewTorrent(t testing.TB, name string, size int, pieceLength int64, seed uint64, trackers ...string) *Torrent {
	t.Helper()
	tor, path := newDocument(t, name, size, seed)
	info := metainfo.Info{PieceLength: pieceLength}
	if err := info.BuildFromFilePath(path); err != nil {
		t.Fatal(err)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	tor.setInfo(ib, pieceLength)
	tor.Trackers = trackers
	return tor
}

// newDocument writes size random bytes (seeded by seed) as name in a
// temporary directory.
func newDocument(t testing.TB, name string, size int, seed uint64) (*Torrent, string) {
	t.Helper()
	dir := t.TempDir()
	doc := make([]byte, size)
	rng := mrand.New(mrand.NewPCG(seed, uint64(size)))
	for i := range doc {
		doc[i] = byte(rng.Uint32())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Torrent{Name: name, Doc: doc}, path
}

func (tor *Torrent) setInfo(infoBytes []byte, pieceLength int64) {
	tor.InfoBytes, tor.PieceLength = infoBytes, pieceLength
	tor.InfoHash = metainfo.HashBytes(infoBytes)
}

// File returns the .torrent file's bytes, naming the torrent's trackers
// when withTrackers.
func (tor *Torrent) File(withTrackers bool) []byte {
	mi := metainfo.MetaInfo{InfoBytes: tor.InfoBytes, CreatedBy: "leakhunt interop test"}
	if withTrackers && len(tor.Trackers) > 0 {
		mi.Announce = tor.Trackers[0]
		mi.AnnounceList = [][]string{tor.Trackers}
	}
	var b bytes.Buffer
	if err := mi.Write(&b); err != nil {
		panic(err) // a MetaInfo of bytes and strings always encodes
	}
	return b.Bytes()
}

// writeFiles writes, under a fresh directory, the .torrent (as
// torrentName) and, unless empty, the document in a data directory. It
// returns the .torrent's path and the data directory.
func (tor *Torrent) writeFiles(t testing.TB, dir string, empty, withTrackers bool) (torrentPath, dataDir string) {
	t.Helper()
	dataDir = filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !empty {
		if err := os.WriteFile(filepath.Join(dataDir, tor.Name), tor.Doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	torrentPath = filepath.Join(dir, "t.torrent")
	if err := os.WriteFile(torrentPath, tor.File(withTrackers), 0o644); err != nil {
		t.Fatal(err)
	}
	return torrentPath, dataDir
}

// setup is what every client needs before it starts: its program, a
// directory with the .torrent and the data, an address of its own and a
// port there for peers, and a port on 127.0.0.1 for its control interface.
type setup struct {
	bin, dir, torrentPath, dataDir string
	host                           netip.Addr
	port, ctlPort                  int
}

func prepare(t testing.TB, program string, tor *Torrent, opt Options) setup {
	t.Helper()
	st := setup{bin: Need(t, program), dir: t.TempDir(), host: newHost()}
	st.torrentPath, st.dataDir = tor.writeFiles(t, st.dir, opt.Empty, !opt.NoTracker)
	st.port, st.ctlPort = freePort(t, st.host), freePort(t, Loopback)
	return st
}

// Encryption is a client's protocol encryption (MSE/PE) setting.
type Encryption int

const (
	// Tolerated: the client's default; it accepts plaintext and encrypted
	// connections.
	Tolerated Encryption = iota
	// Preferred: encrypted connections preferred, plaintext accepted.
	Preferred
	// Required: plaintext connections are refused.
	Required
)

func (e Encryption) String() string {
	return [...]string{"tolerated", "preferred", "required"}[e]
}

// Options say how a client runs.
type Options struct {
	// Transport is "" for TCP and uTP, "tcp" for TCP only, "utp" for uTP
	// only (clients that cannot do a mode skip the test).
	Transport string
	// Encryption is the client's MSE/PE setting.
	Encryption Encryption
	// Empty starts the client without the data: it holds no piece, and
	// (in upload mode where the client has one) does not download any.
	Empty bool
	// NoTracker leaves the torrent's trackers out.
	NoTracker bool
}

func (o Options) String() string {
	s := o.Encryption.String()
	if o.Transport != "" {
		s += "," + o.Transport + "-only"
	}
	if o.Empty {
		s += ",empty"
	}
	return s
}

// Peer is a running client holding a torrent.
type Peer struct {
	// Name says which client and options, for test output.
	Name string
	// Addr is where it accepts peer connections (TCP and/or uTP).
	Addr netip.AddrPort
	// Downloaded returns the payload bytes the client has received from
	// peers, where the client can say (errors.ErrUnsupported otherwise).
	Downloaded func(ctx context.Context) (int64, error)
	// PeerClients returns the client names the client gives its connected
	// peers, where it can say.
	PeerClients func(ctx context.Context) ([]string, error)
}

func unsupported(context.Context) (int64, error) { return 0, errors.ErrUnsupported }

// Need skips t, saying why and what to install, unless program can be
// run; it returns the program's path.
func Need(t testing.TB, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("skipping: %s", missing(program, err))
	}
	return p
}

// Missing says why program cannot be run ("" when it can), for tests that
// leave out only the cases that need it.
func Missing(program string) string {
	if _, err := exec.LookPath(program); err != nil {
		return missing(program, err)
	}
	return ""
}

func missing(program string, err error) string {
	return fmt.Sprintf("%s is not installed (apt-get install %s): %v", program, debianPackage(program), err)
}

func debianPackage(program string) string {
	switch program {
	case "aria2c":
		return "aria2"
	case "transmission-create":
		return "transmission-cli"
	case Python:
		return "python3-libtorrent"
	}
	return program
}

// freePort returns a port that is free on host for both TCP and UDP at the
// time of the call.
func freePort(t testing.TB, host netip.Addr) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp4", netip.AddrPortFrom(host, 0).String())
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp4", netip.AddrPortFrom(host, uint16(port)).String())
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatalf("no port free for both TCP and UDP on %v", host)
	return 0
}

// Client names the clients [StartAll] starts.
type Client string

// Clients.
const (
	Libtorrent   Client = "libtorrent"
	Transmission Client = "transmission"
	Aria2        Client = "aria2"
	QBittorrent  Client = "qbittorrent"
)

// Spec is one peer for [StartAll].
type Spec struct {
	Client Client
	Options
}

var spawn = map[Client]func(testing.TB, *Torrent, Options) (*Peer, func()){
	Libtorrent: spawnLibtorrent, Transmission: spawnTransmission, Aria2: spawnAria2, QBittorrent: spawnQBittorrent,
}

// Start starts one client holding tor and waits until it is ready; it
// skips t, with the reason, when the client is not installed or cannot run
// in the asked way.
func Start(t testing.TB, client Client, tor *Torrent, opt Options) *Peer {
	t.Helper()
	if reason := cannotRun(Spec{client, opt}); reason != "" {
		t.Skipf("skipping: %s %s: %s", client, opt, reason)
	}
	p, ready := spawn[client](t, tor, opt)
	ready()
	return p
}

// StartAll starts the peers at once and waits until each holds tor. A
// client that is not installed, or cannot run in the asked way, is left
// out with a logged reason; StartAll skips t only when none can run.
func StartAll(t testing.TB, tor *Torrent, specs []Spec) []*Peer {
	t.Helper()
	var peers []*Peer
	var readies []func()
	for _, s := range specs {
		if reason := cannotRun(s); reason != "" {
			t.Logf("%s %s left out: %s", s.Client, s.Options, reason)
			continue
		}
		p, ready := spawn[s.Client](t, tor, s.Options)
		peers, readies = append(peers, p), append(readies, ready)
	}
	if len(peers) == 0 {
		t.Skip("skipping: none of the clients can run here")
	}
	for _, ready := range readies {
		ready()
	}
	return peers
}

// cannotRun says why a spec cannot run here, or "".
func cannotRun(s Spec) string {
	program := map[Client]string{Libtorrent: Python, Transmission: "transmission-daemon", Aria2: "aria2c", QBittorrent: "qbittorrent-nox"}[s.Client]
	if why := Missing(program); why != "" {
		return why
	}
	switch {
	case s.Client == Libtorrent && LibtorrentMissing() != "":
		return LibtorrentMissing()
	case s.Transport == "utp" && (s.Client == Transmission || s.Client == Aria2):
		return "no uTP-only mode"
	case s.Empty && s.Client != Libtorrent:
		return "no upload-only mode"
	}
	return ""
}
