package dht

import (
	"log/slog"
	"time"
)

// Config configures a [Node]. Start from [DefaultConfig].
type Config struct {
	// ListenAddr is the UDP address to listen on, "ip:port". An IPv4
	// address gives an IPv4 node, an IPv6 one an IPv6 node. A fixed port
	// lets other nodes find us again after a restart.
	ListenAddr string
	// NodeID is our node ID; all zero means a random one.
	NodeID [20]byte
	// Bootstrap lists "host:port" routers used when no known node answers.
	Bootstrap []string
	// KnownNodes are nodes saved from an earlier run ([Node.Nodes]). When
	// any is given the bootstrap routers are used only if none answers.
	KnownNodes []NodeInfo
	// RateLimit is the most UDP packets per second the node sends, replies
	// included. The sampler uses at most 80% of it.
	RateLimit float64
	// Concurrency is the most sample_infohashes queries in flight.
	Concurrency int
	// QueryTimeout is how long a query waits for its reply.
	QueryTimeout time.Duration
	// GetPeersTimeout bounds one [Node.GetPeers] traversal.
	GetPeersTimeout time.Duration
	// MaxInterval caps how long we wait before asking a BEP 51 node again;
	// a node asking for more is queried again only if it is still known then.
	MaxInterval time.Duration
	// NoSampleInterval is when to contact again a node without BEP 51 (we
	// then ask it find_node, only to continue the walk).
	NoSampleInterval time.Duration
	// FailureBackoff is when to retry a node that did not answer; a node
	// that fails three times in a row is forgotten.
	FailureBackoff time.Duration
	// MaxNodes bounds the nodes the sampler tracks.
	MaxNodes int
	// ListenerBuffer is the capacity of the queue from the listener to
	// Discover; sightings beyond it are dropped and counted.
	ListenerBuffer int
	// PeerStoreInfohashes and PeerStorePeers bound the peer store we keep
	// for other nodes' announces (infohashes, peers per infohash).
	PeerStoreInfohashes int
	PeerStorePeers      int
	// AllowLocal lets the node talk to loopback, private and link-local
	// addresses (tests and local swarms). Otherwise packets to and from them
	// are dropped and such peers are not returned.
	AllowLocal bool
	// Logger receives debug logs (default: discard).
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for the live network.
func DefaultConfig() Config {
	return Config{
		ListenAddr: "0.0.0.0:0",
		Bootstrap: []string{
			"router.bittorrent.com:6881",
			"dht.transmissionbt.com:6881",
			"router.utorrent.com:6881",
			"dht.libtorrent.org:25401",
		},
		RateLimit:           500,
		Concurrency:         128,
		QueryTimeout:        3 * time.Second,
		GetPeersTimeout:     20 * time.Second,
		MaxInterval:         6 * time.Hour,
		NoSampleInterval:    30 * time.Minute,
		FailureBackoff:      10 * time.Minute,
		MaxNodes:            100_000,
		ListenerBuffer:      4096,
		PeerStoreInfohashes: 20_000,
		PeerStorePeers:      100,
	}
}

// withDefaults fills zero fields from DefaultConfig, except Bootstrap and
// KnownNodes, which are taken as given.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ListenAddr == "" {
		c.ListenAddr = d.ListenAddr
	}
	if c.RateLimit <= 0 {
		c.RateLimit = d.RateLimit
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = d.QueryTimeout
	}
	if c.GetPeersTimeout <= 0 {
		c.GetPeersTimeout = d.GetPeersTimeout
	}
	if c.MaxInterval <= 0 {
		c.MaxInterval = d.MaxInterval
	}
	if c.NoSampleInterval <= 0 {
		c.NoSampleInterval = d.NoSampleInterval
	}
	if c.FailureBackoff <= 0 {
		c.FailureBackoff = d.FailureBackoff
	}
	if c.MaxNodes <= 0 {
		c.MaxNodes = d.MaxNodes
	}
	if c.ListenerBuffer <= 0 {
		c.ListenerBuffer = d.ListenerBuffer
	}
	if c.PeerStoreInfohashes <= 0 {
		c.PeerStoreInfohashes = d.PeerStoreInfohashes
	}
	if c.PeerStorePeers <= 0 {
		c.PeerStorePeers = d.PeerStorePeers
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// NodeInfo is a DHT node worth remembering.
type NodeInfo struct {
	// ID is the node ID, 40 hex digits.
	ID string
	// Addr is the node's UDP address, "ip:port".
	Addr string
}
