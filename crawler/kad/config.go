package kad

import (
	"log/slog"
	"time"
)

// Config configures a [Client]. Start from [DefaultConfig]; zero fields
// take its values. [New] copies it.
type Config struct {
	// ListenAddr is the local UDP address, "ip:port". Kad is IPv4 only.
	ListenAddr string
	// ID is our Kad ID; all zero picks a random one. Keep it, with the
	// routing table, across runs.
	ID ID
	// Contacts are nodes to bootstrap from, typically [ParseNodesDat] of a
	// nodes.dat, or nodes given by hand (an unknown ID may be left zero).
	Contacts []Contact
	// RoutingTable is a table saved by [Client.RoutingTable] in an earlier
	// run (nodes.dat version 2 bytes). Its contacts are tried first.
	RoutingTable []byte
	// QueryTimeout is how long one request waits for its answer.
	QueryTimeout time.Duration
	// SearchTimeout bounds one search: the walk towards the target and the
	// wait for answers.
	SearchTimeout time.Duration
	// ResultWait is how long a search keeps collecting answers after its
	// last search request was sent (aMule answers at once, in packets of 50).
	ResultWait time.Duration
	// Alpha is the number of requests a walk keeps in flight.
	Alpha int
	// K is how many closest nodes a walk converges on.
	K int
	// MaxQueries bounds the routing requests of one walk.
	MaxQueries int
	// MaxResults bounds the results one search keeps (sources or keyword
	// hits, after de-duplication).
	MaxResults int
	// MaxContacts bounds the routing table.
	MaxContacts int
	// MaxInflight bounds requests waiting for an answer, all searches
	// together; a request beyond it fails at once.
	MaxInflight int
	// MaxTrackedIPs bounds the memory of the per-IP rate limiter. When it is
	// full of IPs still pacing, requests to new IPs wait.
	MaxTrackedIPs int
	// RateMargin stretches aMule's per-IP request intervals (0.1: 10%
	// slower than the limit) to absorb network jitter; 0 means 0.1.
	RateMargin float64
	// AllowLocal allows loopback, private and link-local contacts (tests,
	// local networks). Real aMule refuses such contacts itself.
	AllowLocal bool
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration for the live network.
func DefaultConfig() Config {
	return Config{
		ListenAddr:    "0.0.0.0:0",
		QueryTimeout:  3 * time.Second,
		SearchTimeout: 45 * time.Second, // aMule's SEARCH_LIFETIME
		ResultWait:    3 * time.Second,
		Alpha:         3,
		K:             10,
		MaxQueries:    200,
		MaxResults:    1000,
		MaxContacts:   5000,
		MaxInflight:   1024,
		MaxTrackedIPs: 100_000,
		RateMargin:    0.1,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ListenAddr == "" {
		c.ListenAddr = d.ListenAddr
	}
	setDur := func(v *time.Duration, dv time.Duration) {
		if *v <= 0 {
			*v = dv
		}
	}
	setDur(&c.QueryTimeout, d.QueryTimeout)
	setDur(&c.SearchTimeout, d.SearchTimeout)
	setDur(&c.ResultWait, d.ResultWait)
	setInt := func(v *int, dv int) {
		if *v <= 0 {
			*v = dv
		}
	}
	setInt(&c.Alpha, d.Alpha)
	setInt(&c.K, d.K)
	setInt(&c.MaxQueries, d.MaxQueries)
	setInt(&c.MaxResults, d.MaxResults)
	setInt(&c.MaxContacts, d.MaxContacts)
	setInt(&c.MaxInflight, d.MaxInflight)
	setInt(&c.MaxTrackedIPs, d.MaxTrackedIPs)
	if c.RateMargin <= 0 {
		c.RateMargin = d.RateMargin
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
