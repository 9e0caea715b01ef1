package localswarm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/anacrolix/dht/v2"
	g "github.com/anacrolix/generics"
	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/merkle"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
	"golang.org/x/time/rate"
)

// File is one file of a torrent built in memory.
type File struct {
	// Path is the slash-separated path inside the torrent; ignored for a
	// single-file torrent.
	Path string
	Data []byte
	// V2Data, when set, is what [BuildHybrid] computes the file's BEP 52
	// pieces root from, instead of Data (which the v1 pieces always hash):
	// a crafted hybrid whose v1 and v2 sides describe different bytes of
	// the same length. Seeders serve Data.
	V2Data []byte
}

// SeederConfig says what a seeder shares.
type SeederConfig struct {
	// Path is an existing file or directory to seed in place. Either Path
	// or Files must be set.
	Path string
	// Name and Files describe a torrent written to the swarm's temporary
	// directory: one file gives a single-file torrent called Name, more give
	// a directory Name holding them.
	Name  string
	Files []File
	// PieceLength of the torrent (0: metainfo.ChoosePieceLength; for a
	// Hybrid torrent 0 means 16 KiB).
	PieceLength int64
	// Hybrid seeds a BEP 52 hybrid (v1 and v2) torrent built by
	// [BuildHybrid] from Name and Files (Path must be empty). Files are
	// written as for a v1 torrent; pad files are not written, as anacrolix
	// stores a hybrid torrent by its v2 file tree. anacrolix v1.61.0 also
	// sizes pieces by that tree: the piece at the end of a padded file is
	// short, and a v1 peer that requests its pad bytes is disconnected
	// ("chunk overflows piece"). Pieces wholly inside a file, and the
	// torrent's last piece, are served normally.
	Hybrid bool
	// RequireEncryption makes the seeder accept only MSE/PE connections
	// (anacrolix answers a plaintext handshake with its MSE key).
	RequireEncryption bool
	// UTP makes the seeder accept uTP too, on the same port as TCP.
	UTP bool
	// AnnounceDHT makes the seeder's client run its own DHT node,
	// bootstrapped from these addresses, and announce the torrent through it
	// (get_peers then announce_peer). Otherwise the seeder is only registered
	// directly in the swarm nodes' peer stores.
	AnnounceDHT []string
}

// Seeder is an anacrolix torrent.Client seeding one torrent over TCP (and
// uTP, with SeederConfig.UTP) on 127.0.0.1.
type Seeder struct {
	// InfoHash is the torrent's v1 infohash.
	InfoHash [20]byte
	// InfoBytes is the bencoded info dictionary.
	InfoBytes []byte
	// MetaInfo is the whole torrent.
	MetaInfo *metainfo.MetaInfo
	// Addr is the TCP address the client accepts peers on (and the uTP
	// one, with SeederConfig.UTP).
	Addr netip.AddrPort

	client *torrent.Client
}

// AddSeeder builds a torrent from cfg, starts a client that seeds it once
// its data is verified, and registers the client as a peer of the torrent
// in the swarm's DHT.
func (sw *Swarm) AddSeeder(ctx context.Context, cfg SeederConfig) (*Seeder, error) {
	if cfg.Hybrid && cfg.Path != "" {
		return nil, errors.New("a hybrid seeder needs Name and Files, not Path")
	}
	mi, path, hybrid, err := sw.seederTorrent(cfg)
	if err != nil {
		return nil, err
	}
	infoBytes := []byte(mi.InfoBytes)
	ccfg, err := seederClientConfig(cfg, path, hybrid != nil)
	if err != nil {
		return nil, err
	}
	cl, err := torrent.NewClient(ccfg)
	if err != nil {
		return nil, fmt.Errorf("start seeder client: %w", err)
	}
	s := &Seeder{InfoHash: mi.HashInfoBytes(), InfoBytes: infoBytes, MetaInfo: mi, client: cl}
	for _, a := range cl.ListenAddrs() {
		if ta, ok := a.(*net.TCPAddr); ok {
			s.Addr = ta.AddrPort()
		}
	}
	if !s.Addr.IsValid() {
		cl.Close()
		return nil, errors.New("seeder has no TCP listen address")
	}
	t, err := cl.AddTorrent(mi)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("add torrent to seeder: %w", err)
	}
	if err := t.VerifyDataContext(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("verify seeded data: %w", err)
	}
	select {
	case <-t.Complete().On():
	case <-ctx.Done():
		cl.Close()
		return nil, fmt.Errorf("seeder data incomplete: %w", ctx.Err())
	}
	sw.mu.Lock()
	if sw.closed {
		sw.mu.Unlock()
		cl.Close()
		return nil, errors.New("swarm is closed")
	}
	sw.seeders = append(sw.seeders, s)
	sw.mu.Unlock()
	sw.AddInfohash(s.InfoHash, s.Addr)
	return s, nil
}

// seederTorrent writes the seeder's files (unless cfg.Path names them)
// and builds its torrent: v1, or hybrid when asked.
func (sw *Swarm) seederTorrent(cfg SeederConfig) (*metainfo.MetaInfo, string, *HybridTorrent, error) {
	var hybrid *HybridTorrent
	if cfg.Hybrid {
		pl := cfg.PieceLength
		if pl == 0 {
			pl = merkle.BlockSize
		}
		var err error
		if hybrid, err = BuildHybrid(cfg.Name, cfg.Files, pl); err != nil {
			return nil, "", nil, err
		}
	}
	path := cfg.Path
	if path == "" {
		var err error
		if path, err = sw.writeFiles(cfg); err != nil {
			return nil, "", nil, err
		}
	}
	var mi *metainfo.MetaInfo
	if hybrid != nil {
		mi = hybrid.MetaInfo
	} else {
		info := metainfo.Info{PieceLength: cfg.PieceLength}
		if info.PieceLength == 0 {
			info.PieceLength = -1 // let BuildFromFilePath choose
		}
		if err := buildInfo(&info, path); err != nil {
			return nil, "", nil, err
		}
		infoBytes, err := bencode.Marshal(info)
		if err != nil {
			return nil, "", nil, fmt.Errorf("marshal info: %w", err)
		}
		mi = &metainfo.MetaInfo{InfoBytes: infoBytes}
	}
	return mi, path, hybrid, nil
}

// seederClientConfig configures an anacrolix client seeding the data at
// path on loopback, announcing to cfg.AnnounceDHT when given.
func seederClientConfig(cfg SeederConfig, path string, hybrid bool) (*torrent.ClientConfig, error) {
	ccfg := torrent.NewDefaultClientConfig()
	ccfg.ListenHost = func(string) string { return "127.0.0.1" }
	ccfg.ListenPort = 0
	ccfg.DisableIPv6 = true
	ccfg.DisableUTP = !cfg.UTP
	ccfg.DisableTrackers = true
	ccfg.DisableWebtorrent = true
	ccfg.DisableWebseeds = true
	ccfg.NoDefaultPortForwarding = true
	ccfg.DisableAcceptRateLimiting = true
	ccfg.Seed = true
	// Name the seeder for what it is; anacrolix's default is the main
	// module's name, which would make a test seeder look like leakhunt.
	ccfg.ExtendedHandshakeClientVersion = "localswarm-seeder (anacrolix/torrent v1.61.0)"
	ccfg.Bep20 = "-LS0001-"
	if cfg.RequireEncryption {
		ccfg.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{Preferred: true, RequirePreferred: true}
	}
	ccfg.Slogger = slog.New(slog.DiscardHandler)
	ccfg.Logger = alog.Default.WithFilterLevel(alog.Disabled)
	ccfg.DataDir = filepath.Dir(path)
	fileOpts := storage.NewFileClientOpts{
		ClientBaseDir:   filepath.Dir(path),
		PieceCompletion: storage.NewMapPieceCompletion(),
		UsePartFiles:    g.Some(false),
		Logger:          slog.New(slog.DiscardHandler),
	}
	if hybrid {
		// anacrolix lays out a hybrid torrent by its v2 file tree, which
		// names a single file again inside the torrent's name; keep the
		// v1 layout that writeFiles used.
		fileOpts.FilePathMaker = func(o storage.FilePathMakerOpts) string {
			if len(o.Info.Files) == 0 {
				return o.Info.BestName()
			}
			return filepath.Join(append([]string{o.Info.BestName()}, o.File.BestPath()...)...)
		}
	}
	ccfg.DefaultStorage = storage.NewFileOpts(fileOpts)
	ccfg.NoDHT = len(cfg.AnnounceDHT) == 0
	ccfg.PeriodicallyAnnounceTorrentsToDht = !ccfg.NoDHT
	if !ccfg.NoDHT {
		var addrs []dht.Addr
		for _, s := range cfg.AnnounceDHT {
			ap, err := netip.ParseAddrPort(s)
			if err != nil || !ap.Addr().IsLoopback() {
				return nil, fmt.Errorf("DHT node %q: not a loopback ip:port", s)
			}
			addrs = append(addrs, dht.NewAddr(net.UDPAddrFromAddrPort(ap)))
		}
		ccfg.DhtStartingNodes = func(string) dht.StartingNodesGetter {
			return func() ([]dht.Addr, error) { return addrs, nil }
		}
		ccfg.ConfigureAnacrolixDhtServer = func(c *dht.ServerConfig) {
			c.NoSecurity = true
			c.SendLimiter = rate.NewLimiter(rate.Inf, 0)
			c.QueryResendDelay = func() time.Duration { return 500 * time.Millisecond }
			c.Logger = alog.Default.WithFilterLevel(alog.Disabled)
		}
	}
	return ccfg, nil
}

func buildInfo(info *metainfo.Info, path string) error {
	pl := info.PieceLength
	if pl < 0 {
		info.PieceLength = 0
	}
	if err := info.BuildFromFilePath(path); err != nil {
		return fmt.Errorf("build torrent from %s: %w", path, err)
	}
	return nil
}

// writeFiles writes cfg.Files under a fresh directory of the swarm and
// returns the path to seed.
func (sw *Swarm) writeFiles(cfg SeederConfig) (string, error) {
	if len(cfg.Files) == 0 || cfg.Name == "" || !filepath.IsLocal(cfg.Name) || filepath.Base(cfg.Name) != cfg.Name {
		return "", errors.New("seeder needs Path, or Name and Files")
	}
	root, err := sw.tempDir()
	if err != nil {
		return "", err
	}
	sw.mu.Lock()
	sw.seederCount++
	dir := filepath.Join(root, fmt.Sprintf("seeder-%d", sw.seederCount))
	sw.mu.Unlock()
	path := filepath.Join(dir, cfg.Name)
	if len(cfg.Files) == 1 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("create seeder directory: %w", err)
		}
		return path, os.WriteFile(path, cfg.Files[0].Data, 0o644)
	}
	for _, f := range cfg.Files {
		rel := filepath.FromSlash(f.Path)
		if !filepath.IsLocal(rel) {
			return "", fmt.Errorf("file path %q is not local", f.Path)
		}
		p := filepath.Join(path, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("create seeder directory: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return "", fmt.Errorf("write seeded file: %w", err)
		}
	}
	return path, nil
}

// Close stops the seeder's client.
func (s *Seeder) Close() {
	s.client.Close()
}
