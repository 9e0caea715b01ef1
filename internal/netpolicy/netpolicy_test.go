package netpolicy

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		addr              string
		label             string
		loopback, private bool
		allow             bool
	}{
		{"8.8.8.8", Public, false, false, true},
		{"2a00:1450::1", Public, false, false, true},
		{"::ffff:8.8.8.8", Public, false, false, true},
		{"127.0.0.1", Loopback, false, false, false},
		{"127.0.0.1", Loopback, true, false, true},
		{"::ffff:127.0.0.1", Loopback, false, false, false},
		{"::1", Loopback, true, false, true},
		{"10.1.2.3", Private, false, false, false},
		{"10.1.2.3", Private, false, true, true},
		{"10.1.2.3", Private, true, false, false},
		{"172.16.0.1", Private, false, false, false},
		{"192.168.1.1", Private, false, false, false},
		{"100.64.0.1", Private, false, false, false},
		{"100.64.0.1", Private, false, true, true},
		{"fd00::1", Private, false, false, false},
		{"fd00::1", Private, false, true, true},
		{"fec0::1", Private, false, false, false},
		{"64:ff9b:1::a01:203", Private, false, false, false},
		{"169.254.169.254", LinkLocal, true, true, false},
		{"fe80::1%eth0", LinkLocal, true, true, false},
		{"224.0.0.1", Multicast, true, true, false},
		{"ff02::1", Multicast, true, true, false},
		{"0.0.0.0", Unspecified, true, true, false},
		{"::", Unspecified, true, true, false},
		{"255.255.255.255", Broadcast, true, true, false},
		{"240.0.0.1", Reserved, true, true, false},
		{"0.1.2.3", Reserved, true, true, false},
		{"192.0.2.7", Reserved, true, true, false},
		{"198.18.0.1", Reserved, true, true, false},
		{"2001:db8::1", Reserved, true, true, false},
		{"::a01:203", Reserved, true, true, false},                              // IPv4-compatible
		{"64:ff9b::a01:203", Embedded, false, false, false},                     // NAT64 of 10.1.2.3
		{"64:ff9b::a01:203", Embedded, false, true, true},                       // ... allowed with private
		{"64:ff9b::7f00:1", Embedded, false, true, false},                       // NAT64 of 127.0.0.1, private only
		{"64:ff9b::808:808", Public, false, false, true},                        // NAT64 of 8.8.8.8
		{"2002:c0a8:101::1", Embedded, false, false, false},                     // 6to4 of 192.168.1.1
		{"2002:808:808::1", Public, false, false, true},                         // 6to4 of 8.8.8.8
		{"2001:0:4136:e378:8000:63bf:f5fe:fdfe", Embedded, false, false, false}, // Teredo client 10.1.2.1
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", Public, false, false, true},    // Teredo client 8.8.8.8
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if got := Classify(a); got != tt.label {
				t.Errorf("Classify(%s) = %q, want %q", tt.addr, got, tt.label)
			}
			p := Policy{AllowLoopback: tt.loopback, AllowPrivate: tt.private}
			err := p.Check(a)
			if (err == nil) != tt.allow {
				t.Errorf("%s (loopback %v, private %v): err %v, want allowed %v", tt.addr, tt.loopback, tt.private, err, tt.allow)
			}
			var ae *AddressError
			if err != nil && (!errors.Is(err, ErrForbidden) || !errors.As(err, &ae) || ae.Reason != tt.label) {
				t.Errorf("%s: error %v is not an AddressError for %q wrapping ErrForbidden", tt.addr, err, tt.label)
			}
		})
	}
	p := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}}
	if p.Check(netip.MustParseAddr("10.9.1.1")) != nil || p.Check(netip.MustParseAddr("10.8.1.1")) == nil {
		t.Error("Allow not honoured exactly")
	}
	if (Policy{}).CheckAddrPort(netip.MustParseAddrPort("8.8.8.8:0")) == nil {
		t.Error("port 0 allowed")
	}
}

func TestControlRefusesBeforeConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	d := net.Dialer{Control: Policy{}.Control}
	if _, err := d.Dial("tcp", ln.Addr().String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("dial loopback under the public policy: %v, want ErrForbidden", err)
	}
	d.Control = Local().Control
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial loopback under the local policy: %v", err)
	}
	c.Close()
	<-accepted
}
