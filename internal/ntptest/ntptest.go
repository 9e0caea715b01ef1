// Package ntptest runs NTP responders on loopback for tests: clocks ahead
// of or behind ours by a set skew, so that clock measurement is tested
// without asking a real server.
package ntptest

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// ntpEpoch is 1900-01-01, the origin of NTP timestamps.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func stamp(t time.Time) uint64 {
	d := t.Sub(ntpEpoch)
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// Server is a running responder.
type Server struct {
	// Addr is its "127.0.0.1:PORT".
	Addr string
	// Queries counts the queries answered. Safe for concurrent use.
	Queries atomic.Int64
}

// Start answers NTP client queries on 127.0.0.1 as a stratum-1 server
// whose clock is ahead of ours by skew, until the test ends.
func Start(t testing.TB, skew time.Duration) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: pc.LocalAddr().String()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			k, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if k < 48 || buf[0]&7 != 3 { // client mode only
				continue
			}
			now := time.Now().Add(skew)
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, server mode
			resp[1] = 1               // stratum 1
			resp[2] = 4
			resp[3] = 0xec
			copy(resp[12:16], "LOCL")
			binary.BigEndian.PutUint64(resp[16:], stamp(now.Add(-time.Second))) // reference
			copy(resp[24:32], buf[40:48])                                       // origin = client's transmit
			binary.BigEndian.PutUint64(resp[32:], stamp(now))                   // receive
			binary.BigEndian.PutUint64(resp[40:], stamp(now))                   // transmit
			s.Queries.Add(1)
			pc.WriteTo(resp, from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return s
}
