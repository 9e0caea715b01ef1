package ed2k

import (
	"errors"
	"log/slog"
	"net/netip"
	"syscall"
	"time"
)

// Config configures a [Prober]. Start from [DefaultConfig]; zero fields
// (except UserHash) take its values. [NewProber] copies it.
type Config struct {
	// UserHash is our ed2k user hash. It is required and must stay the same
	// for every probe from the same IP, across runs: aMule bans for two
	// hours a client that comes back with another hash. [NewUserHash]
	// makes one to keep.
	UserHash [16]byte
	// ClientName is the user name sent in our hello and eMule info.
	ClientName string
	// Port is the TCP port our hello advertises. The probe never listens;
	// 0 (the default) tells the peer it cannot call back. Keep it constant:
	// aMule tracks clients by IP and port.
	Port uint16
	// LocalAddr, when valid, is the local IP probes are made from.
	LocalAddr netip.Addr
	// Control, when set, is called by the dialer with the address about to
	// be connected (net.Dialer.Control): an address policy refuses there,
	// at connect time, whatever named the address.
	Control func(network, address string, c syscall.RawConn) error
	// Timeout bounds one whole probe.
	Timeout time.Duration
	// DialTimeout bounds the TCP connect.
	DialTimeout time.Duration
	// HelloTimeout bounds the wait for the peer's hello answer.
	HelloTimeout time.Duration
	// FileTimeout bounds the wait for the peer's file name answer and file
	// status.
	FileTimeout time.Duration
	// UploadTimeout bounds the wait for an upload slot (ACCEPTUPLOADREQ).
	// A queue rank ends the probe at once: it never waits in a queue.
	UploadTimeout time.Duration
	// BlockTimeout bounds the download of the one block.
	BlockTimeout time.Duration
	// PeerSpacing is the least time between the end of one probe of an
	// address and the start of the next one by the same Prober; probes of
	// one address never overlap. aMule mishandles a client that reconnects
	// within about two seconds: it answers the hello, then sends its other
	// answers nowhere.
	PeerSpacing time.Duration
	// MaxLevel stops a probe once it has proved this level: L2Connected
	// ends after the file answer, L3Claims after the file status, so that
	// no content is downloaded. 0 means L4Served.
	MaxLevel Level
	// MaxPacket caps the body of any packet other than a data packet
	// (hello, status, names, unknown packets). Data packets are capped at
	// BlockSize plus their header.
	MaxPacket int
	// MaxPackets caps the packets read in one probe.
	MaxPackets int
	// MaxBytes caps the bytes read in one probe.
	MaxBytes int64
	// Logger receives debug logs; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns a Config for real use, without a UserHash.
func DefaultConfig() Config {
	return Config{
		ClientName:    "leakhunt",
		Timeout:       90 * time.Second,
		DialTimeout:   10 * time.Second,
		HelloTimeout:  15 * time.Second,
		FileTimeout:   15 * time.Second,
		UploadTimeout: 30 * time.Second,
		BlockTimeout:  60 * time.Second,
		PeerSpacing:   3 * time.Second,
		MaxLevel:      L4Served,
		MaxPacket:     16 << 10,
		MaxPackets:    1024,
		MaxBytes:      4 << 20,
	}
}

// ErrConfig is wrapped by errors about an invalid Config.
var ErrConfig = errors.New("invalid ed2k probe configuration")

func (c Config) withDefaults() (Config, error) {
	if c.UserHash == ([16]byte{}) {
		return c, errors.Join(ErrConfig, errors.New("no user hash: generate one with ed2k.NewUserHash and keep it"))
	}
	d := DefaultConfig()
	if c.ClientName == "" {
		c.ClientName = d.ClientName
	}
	for _, f := range []struct{ v, d *time.Duration }{
		{&c.Timeout, &d.Timeout}, {&c.DialTimeout, &d.DialTimeout}, {&c.HelloTimeout, &d.HelloTimeout},
		{&c.FileTimeout, &d.FileTimeout}, {&c.UploadTimeout, &d.UploadTimeout}, {&c.BlockTimeout, &d.BlockTimeout},
		{&c.PeerSpacing, &d.PeerSpacing},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if c.MaxLevel <= 0 || c.MaxLevel > L4Served {
		c.MaxLevel = L4Served
	}
	if c.MaxPacket <= 0 {
		c.MaxPacket = d.MaxPacket
	}
	if c.MaxPackets <= 0 {
		c.MaxPackets = d.MaxPackets
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
