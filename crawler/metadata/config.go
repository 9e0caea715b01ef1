package metadata

import (
	"log/slog"
	"time"

	"github.com/leakhunt/leakhunt/internal/netpolicy"
	"github.com/leakhunt/leakhunt/internal/peerdial"
)

// Config configures a [Fetcher]. Start from [DefaultConfig].
type Config struct {
	// MaxConns is the most peer connections open at once, over all fetches.
	MaxConns int
	// PeersPerFetch is the most peers tried in parallel for one infohash.
	PeersPerFetch int
	// MaxPeers is the most peers tried for one infohash.
	MaxPeers int
	// DialTimeout bounds a connect (TCP connect, uTP SYN/ACK).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the MSE/PE handshake and the wait for the
	// peer's BitTorrent handshake.
	HandshakeTimeout time.Duration
	// PeerTimeout bounds the whole exchange with one peer.
	PeerTimeout time.Duration
	// IdleTimeout is the longest silence accepted between two messages.
	IdleTimeout time.Duration
	// Timeout bounds one [Fetcher.Fetch].
	Timeout time.Duration
	// MaxMetadataSize is the largest metadata accepted (at most 4 MiB: the
	// bencode pre-check rejects anything larger anyway).
	MaxMetadataSize int
	// MaxBuffered bounds the metadata bytes buffered at once, over all
	// fetches; a fetch waits for room before it requests pieces.
	MaxBuffered int64
	// PeerIDPrefix starts our 20-byte peer ID; the rest is random.
	PeerIDPrefix string
	// Transports are tried in order for each peer until one connects
	// (default TCP, then uTP: many peers behind NAT answer only on uTP).
	Transports []string
	// Encryption says when connections speak MSE/PE (default: plaintext,
	// then encrypted when the peer closes the plaintext handshake).
	Encryption peerdial.Encryption
	// ClientVersion is sent as "v" in the extension handshake ("" omits it).
	ClientVersion string
	// AllowLoopback and AllowPrivate let fetches reach loopback and
	// private peer addresses (local test swarms). Every peer address is
	// checked against this policy before it is dialled, whatever Dialer
	// is.
	AllowLoopback, AllowPrivate bool
	// Dialer opens connections; share one with the prober so that at most
	// one connection to a host is open at a time. Nil makes one with the
	// policy above.
	Dialer *peerdial.Dialer
	// Logger receives debug logs (default: discard).
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for the live network.
func DefaultConfig() Config {
	return Config{
		MaxConns:         256,
		PeersPerFetch:    4,
		MaxPeers:         32,
		DialTimeout:      5 * time.Second,
		HandshakeTimeout: 8 * time.Second,
		PeerTimeout:      20 * time.Second,
		IdleTimeout:      8 * time.Second,
		Timeout:          60 * time.Second,
		MaxMetadataSize:  4 << 20,
		MaxBuffered:      128 << 20,
		PeerIDPrefix:     peerdial.PeerIDPrefix,
		Transports:       []string{peerdial.TCP, peerdial.UTP},
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxConns <= 0 {
		c.MaxConns = d.MaxConns
	}
	if c.PeersPerFetch <= 0 {
		c.PeersPerFetch = d.PeersPerFetch
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = d.MaxPeers
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = d.HandshakeTimeout
	}
	if len(c.Transports) == 0 {
		c.Transports = d.Transports
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = d.PeerTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxMetadataSize <= 0 || c.MaxMetadataSize > d.MaxMetadataSize {
		c.MaxMetadataSize = d.MaxMetadataSize
	}
	if c.MaxBuffered < int64(c.MaxMetadataSize) {
		c.MaxBuffered = max(d.MaxBuffered, int64(c.MaxMetadataSize))
	}
	if c.PeerIDPrefix == "" {
		c.PeerIDPrefix = d.PeerIDPrefix
	}
	if len(c.PeerIDPrefix) > 20 {
		c.PeerIDPrefix = c.PeerIDPrefix[:20]
	}
	if c.Dialer == nil {
		c.Dialer = &peerdial.Dialer{Policy: c.policy()}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// policy is the address rule of this configuration.
func (c Config) policy() netpolicy.Policy {
	return netpolicy.Policy{AllowLoopback: c.AllowLoopback, AllowPrivate: c.AllowPrivate}
}
