package interop

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// Python is the interpreter that has python3-libtorrent.
const Python = "/usr/bin/python3"

// The scripts libtorrent runs, one job each.
var (
	//go:embed lt_peer.py
	ltPeerScript string // a peer (a seed, or empty) of one torrent, optionally made first
	//go:embed lt_swarm.py
	ltSwarmScript string // a DHT swarm of sessions, one of them seeding
	//go:embed lt_create.py
	ltCreateScript string // torrents made by libtorrent, with the infohashes it computes
	//go:embed v2roots.py
	v2RootsScript string // BEP 52 pieces roots
	//go:embed lt_info.py
	ltInfoScript string // how libtorrent reads a .torrent
)

// scriptTimeout bounds a script that runs to its end.
const scriptTimeout = 5 * time.Minute

var libtorrentMissing = sync.OnceValue(func() string {
	if _, err := os.Stat(Python); err != nil {
		return fmt.Sprintf("%s is missing (apt-get install python3-libtorrent)", Python)
	}
	if out, err := exec.Command(Python, "-c", "import libtorrent").CombinedOutput(); err != nil {
		return fmt.Sprintf("%s cannot import libtorrent (apt-get install python3-libtorrent): %v %s", Python, err, bytes.TrimSpace(out))
	}
	return ""
})

// LibtorrentMissing says why libtorrent cannot be used here, or "" when it
// can.
func LibtorrentMissing() string { return libtorrentMissing() }

// NeedLibtorrent skips t, saying why, unless /usr/bin/python3 can import
// libtorrent.
func NeedLibtorrent(t testing.TB) {
	t.Helper()
	if why := LibtorrentMissing(); why != "" {
		t.Skipf("skipping: %s", why)
	}
}

// runScript runs a libtorrent script to its end with stdin and args and
// returns its standard output; it skips t where libtorrent is missing and
// fails it, with the script's errors, when the script fails.
func runScript(t testing.TB, what, script string, stdin []byte, args ...string) []byte {
	t.Helper()
	NeedLibtorrent(t)
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, append([]string{"-c", script}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("libtorrent %s: %v\n%s", what, err, stderr.Bytes())
	}
	return out
}

// seederConfig is lt_peer.py's configuration.
type seederConfig struct {
	Torrent    string         `json:"torrent"`
	SavePath   string         `json:"save_path"`
	Host       string         `json:"host"`
	Port       int            `json:"port"`
	TCP        bool           `json:"tcp"`
	UTP        bool           `json:"utp"`
	Encryption string         `json:"encryption"`
	Seed       bool           `json:"seed"`
	UploadMode bool           `json:"upload_mode"`
	Create     *createOptions `json:"create,omitempty"`
}

type createOptions struct {
	File        string `json:"file"`
	PieceLength int    `json:"piece_length"`
	Mode        string `json:"mode"`
}

// launchPeer launches lt_peer.py in dir.
func launchPeer(dir string, cfg seederConfig) (*proc, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return launch(dir, true, Python, "-c", ltPeerScript, string(b))
}

// awaitPort waits for lt_peer.py's first line: the port it listens on, or
// its error.
func awaitPort(ctx context.Context, p *proc, cfg seederConfig) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	line, err := p.line(ctx)
	var first struct {
		Port  int    `json:"port"`
		Error string `json:"error"`
	}
	if err == nil {
		if err = json.Unmarshal([]byte(line), &first); err == nil && first.Error != "" {
			err = fmt.Errorf("%s", first.Error)
		}
	}
	if err == nil && (first.Port <= 0 || first.Port > 65535 || (cfg.Port != 0 && first.Port != cfg.Port)) {
		err = fmt.Errorf("said %q, want port %d", line, cfg.Port)
	}
	if err != nil {
		return 0, fmt.Errorf("libtorrent peer on %s: %w; log:\n%s", cfg.Host, err, p.log())
	}
	return first.Port, nil
}

// StartLibtorrentSeeder has libtorrent create a torrent of file ("v1" or
// "hybrid", with the given piece length), write it to torrentOut and seed
// it on host (a loopback address) with DHT, LSD, UPnP and NAT-PMP off. It
// returns the seeder's port and a function that stops it; it stops too
// when ctx ends. It needs no test: 'leakhunt validate' runs it.
func StartLibtorrentSeeder(ctx context.Context, file, torrentOut string, pieceLen int, mode, host string) (port uint16, stop func(), err error) {
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return 0, nil, fmt.Errorf("libtorrent seeder: %q is not a loopback address", host)
	}
	if why := LibtorrentMissing(); why != "" {
		return 0, nil, fmt.Errorf("libtorrent seeder: %s", why)
	}
	dir, err := os.MkdirTemp("", "lt-seed-")
	if err != nil {
		return 0, nil, err
	}
	cfg := seederConfig{Torrent: torrentOut, SavePath: filepath.Dir(file), Host: host,
		TCP: true, UTP: true, Encryption: Tolerated.String(), Seed: true,
		Create: &createOptions{File: file, PieceLength: pieceLen, Mode: mode}}
	p, err := launchPeer(dir, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return 0, nil, err
	}
	n, err := awaitPort(ctx, p, cfg)
	if err != nil {
		p.stop()
		os.RemoveAll(dir)
		return 0, nil, err
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			p.stop()
			os.RemoveAll(dir)
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-p.exited:
		}
	}()
	return uint16(n), stop, nil
}

// SeedLibtorrent is [StartLibtorrentSeeder] for a test: it skips t where
// libtorrent is missing and stops the seeder when the test ends.
func SeedLibtorrent(t testing.TB, file, torrentOut string, pieceLen int, mode, host string) uint16 {
	t.Helper()
	NeedLibtorrent(t)
	port, stop, err := StartLibtorrentSeeder(context.Background(), file, torrentOut, pieceLen, mode, host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return port
}

// spawnLibtorrent runs a libtorrent peer (lt_peer.py) holding tor: a seed,
// or with opt.Empty a peer in upload mode that holds no piece and
// downloads none.
func spawnLibtorrent(t testing.TB, tor *Torrent, opt Options) (*Peer, func()) {
	t.Helper()
	NeedLibtorrent(t)
	st := prepare(t, Python, tor, opt)
	host, port := st.host, st.port
	cfg := seederConfig{Torrent: st.torrentPath, SavePath: st.dataDir, Host: host.String(), Port: port,
		TCP: opt.Transport != "utp", UTP: opt.Transport != "tcp", Encryption: opt.Encryption.String(),
		Seed: !opt.Empty, UploadMode: opt.Empty}
	p, err := launchPeer(st.dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	ready := func() {
		t.Helper()
		if _, err := awaitPort(context.Background(), p, cfg); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	status := func(ctx context.Context) (downloaded int64, clients []string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(p.stdin, "status\n"); err != nil {
			return 0, nil, err
		}
		l, err := p.line(ctx)
		if err != nil {
			return 0, nil, err
		}
		var st struct {
			Downloaded int64    `json:"downloaded"`
			Clients    []string `json:"clients"`
		}
		if err := json.Unmarshal([]byte(l), &st); err != nil {
			return 0, nil, fmt.Errorf("libtorrent status %q: %w", l, err)
		}
		return st.Downloaded, st.Clients, nil
	}
	return &Peer{
		Name: "libtorrent " + opt.String(),
		Addr: netip.AddrPortFrom(host, uint16(port)),
		Downloaded: func(ctx context.Context) (int64, error) {
			d, _, err := status(ctx)
			return d, err
		},
		PeerClients: func(ctx context.Context) ([]string, error) {
			_, c, err := status(ctx)
			return c, err
		},
	}, ready
}

// Swarm is a DHT swarm of libtorrent sessions on 127.0.0.1, bootstrapped
// to each other only, the first seeding a torrent of random bytes.
type Swarm struct {
	// DHT are the sessions' DHT addresses.
	DHT []string
	// Seed is the seeding session's peer address.
	Seed netip.AddrPort
	// InfoHash is the seeded torrent's (v1).
	InfoHash [20]byte
}

// StartLibtorrentSwarm starts a [Swarm] of n sessions, an independent DHT
// implementation that answers BEP 51 itself; it stops when the test ends.
func StartLibtorrentSwarm(t testing.TB, n int) Swarm {
	t.Helper()
	NeedLibtorrent(t)
	dir := t.TempDir()
	p := start(t, dir, true, Python, "-c", ltSwarmScript, dir, strconv.Itoa(n))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	line, err := p.line(ctx)
	if err != nil {
		t.Fatalf("libtorrent swarm: %v", err)
	}
	var out struct {
		DHT      []string `json:"dht"`
		SeedPeer string   `json:"seed_peer"`
		InfoHash string   `json:"infohash"`
		Error    string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(line), &out); err != nil || out.Error != "" {
		t.Fatalf("libtorrent swarm said %q (%v)", line, err)
	}
	ih, err := hex.DecodeString(out.InfoHash)
	seed, perr := netip.ParseAddrPort(out.SeedPeer)
	if err != nil || len(ih) != 20 || perr != nil {
		t.Fatalf("libtorrent swarm said %q", line)
	}
	return Swarm{DHT: out.DHT, Seed: seed, InfoHash: [20]byte(ih)}
}

// CreateJob asks libtorrent for a torrent of Path (a file or directory).
type CreateJob struct {
	Path string `json:"path"`
	// Out is the .torrent file to write.
	Out       string `json:"out"`
	PieceSize int    `json:"piece_size"`
	// Mode is "v1", "v2" or "hybrid".
	Mode string `json:"mode"`
}

// Created is a torrent libtorrent made, with the infohashes it computed
// (hex; empty when the torrent has no such version).
type Created struct {
	Out, V1, V2 string
}

// CreateTorrents has libtorrent (create_torrent, an independent
// implementation of the hashing) make the torrents, each naming the
// tracker http://127.0.0.1:1/announce; it skips t where libtorrent is
// missing.
func CreateTorrents(t testing.TB, jobs []CreateJob) []Created {
	t.Helper()
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	var made []Created
	out := runScript(t, "create_torrent", ltCreateScript, in)
	if err := json.Unmarshal(out, &made); err != nil || len(made) != len(jobs) {
		t.Fatalf("libtorrent create_torrent: %v (%d results for %d jobs)", err, len(made), len(jobs))
	}
	return made
}

// NewLibtorrentTorrent is NewTorrent with the torrent made by libtorrent
// (create_torrent, v1 only): an independent implementation of the hashing.
func NewLibtorrentTorrent(t testing.TB, name string, size int, pieceLength int64, seed uint64) *Torrent {
	t.Helper()
	NeedLibtorrent(t)
	tor, path := newDocument(t, name, size, seed)
	out := filepath.Join(t.TempDir(), "lt.torrent")
	CreateTorrents(t, []CreateJob{{Path: path, Out: out, PieceSize: int(pieceLength), Mode: "v1"}})
	mi, err := metainfo.LoadFromFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tor.setInfo(mi.InfoBytes, pieceLength)
	return tor
}

// V2Roots returns the BEP 52 pieces root of each file as libtorrent
// computes it (hex; "" for an empty file).
func V2Roots(t testing.TB, paths ...string) []string {
	t.Helper()
	out := runScript(t, "pieces roots", v2RootsScript, nil, paths...)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(paths) {
		t.Fatalf("libtorrent gave %d pieces roots for %d files:\n%s", len(lines), len(paths), out)
	}
	roots := make([]string, len(paths))
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 || f[0] != paths[i] {
			t.Fatalf("libtorrent said %q for %s", l, paths[i])
		}
		if f[1] != "-" {
			roots[i] = f[1]
		}
	}
	return roots
}

// TorrentInfo is how libtorrent reads a .torrent.
type TorrentInfo struct {
	// V1 and V2 are the infohashes, hex (all zeros when absent).
	V1, V2 string
	Files  []TorrentFile
}

// TorrentFile is one file as libtorrent lays it out.
type TorrentFile struct {
	Offset, Size int64
	Pad          bool
	Path         string
}

// ReadTorrent has libtorrent load a .torrent file (it fails t when
// libtorrent refuses it).
func ReadTorrent(t testing.TB, path string) TorrentInfo {
	t.Helper()
	out := runScript(t, "torrent_info", ltInfoScript, nil, path)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var ti TorrentInfo
	if _, err := fmt.Sscan(lines[0], &ti.V1, &ti.V2); err != nil {
		t.Fatalf("libtorrent said %q", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 {
			t.Fatalf("libtorrent said %q", l)
		}
		var tf TorrentFile
		var err1, err2 error
		tf.Offset, err1 = strconv.ParseInt(f[0], 10, 64)
		tf.Size, err2 = strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("libtorrent said %q", l)
		}
		tf.Pad, tf.Path = f[2] == "1", f[3]
		ti.Files = append(ti.Files, tf)
	}
	return ti
}

// IdentifyClient returns the client name libtorrent gives a peer id.
func IdentifyClient(t testing.TB, peerID [20]byte) string {
	t.Helper()
	const script = "import sys, libtorrent as lt; print(lt.identify_client(lt.sha1_hash(bytes.fromhex(sys.argv[1]))))"
	return strings.TrimSpace(string(runScript(t, "identify_client", script, nil, hex.EncodeToString(peerID[:]))))
}
