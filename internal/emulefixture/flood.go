package emulefixture

import (
	"net/netip"
	"time"

	"github.com/leakhunt/leakhunt/crawler/kad"
)

// Verdicts of a [FloodCounter].
const (
	FloodAllowed = iota // aMule processes the request
	FloodDropped        // over the per-minute limit: aMule drops it
	FloodBanned         // over five times the limit: aMule bans the IP
)

// FloodCounter is aMule 2.3.3's flood accounting of incoming Kad requests
// (PacketTracking.cpp, InTrackListIsAllowedPacket), reimplemented from its
// description: per IP and opcode a count that grows by one per request
// (dropped ones included) and shrinks by one per (60 s / limit) elapsed.
// It is not safe for concurrent use.
type FloodCounter struct {
	m map[floodKey]*floodCount
}

type floodKey struct {
	ip netip.Addr
	op byte
}

type floodCount struct {
	count int
	first time.Time
}

// NewFloodCounter returns an empty FloodCounter.
func NewFloodCounter() *FloodCounter { return &FloodCounter{m: make(map[floodKey]*floodCount)} }

// Count records a request with opcode op from ip at now and returns
// FloodAllowed, FloodDropped or FloodBanned.
func (f *FloodCounter) Count(ip netip.Addr, op byte, now time.Time) int {
	limit, ok := kad.RequestLimit(op)
	if !ok {
		return FloodAllowed
	}
	every := time.Minute / time.Duration(limit)
	fc := f.m[floodKey{ip, op}]
	if fc == nil {
		f.m[floodKey{ip, op}] = &floodCount{count: 1, first: now}
		return FloodAllowed
	}
	if fc.count > 0 && now.Sub(fc.first) > every {
		remove := int(now.Sub(fc.first) / every)
		if remove > fc.count {
			fc.count, fc.first = 0, now
		} else {
			fc.count -= remove
			fc.first = fc.first.Add(time.Duration(remove) * every)
		}
	}
	fc.count++
	switch {
	case fc.count > 5*limit:
		return FloodBanned
	case fc.count > limit:
		return FloodDropped
	}
	return FloodAllowed
}
