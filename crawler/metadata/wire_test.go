package metadata

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseMetadataMsg(t *testing.T) {
	tests := []struct {
		in       string
		wantType int64
		wantData string
		wantErr  error
	}{
		{"d8:msg_typei1e5:piecei0e10:total_sizei3eeabc", mdData, "abc", nil},
		{"d8:msg_typei0e5:piecei2ee", mdRequest, "", nil},
		{"d8:msg_typei2e5:piecei0ee", mdReject, "", nil},
		{"d8:msg_typei1e5:piecei0e1:xld1:yleeeeDATA", mdData, "DATA", nil},
		{"", 0, "", ErrProtocol},
		{"l1:ae", 0, "", ErrProtocol},
		{"d8:msg_typei1e5:piecei0e", 0, "", ErrProtocol},
		{"d8:msg_type" + string(bytes.Repeat([]byte("l"), 100)), 0, "", ErrProtocol},
		{"d8:msg_typei99999999999999999999999e5:piecei0ee", 0, "", ErrProtocol},
		{"d8:msg_type3:abc5:piecei0ee", 0, "", ErrProtocol},
		{"d99999999:x", 0, "", ErrProtocol},
	}
	for _, tt := range tests {
		m, data, err := parseMetadataMsg([]byte(tt.in))
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%q: error %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || m.MsgType != tt.wantType || string(data) != tt.wantData {
			t.Errorf("%q: got %+v %q %v", tt.in, m, data, err)
		}
	}
}

func TestParseExtHandshake(t *testing.T) {
	tests := []struct {
		in      string
		id      byte
		size    int64
		wantErr error
	}{
		{"d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:v4:test", 0, 0, ErrProtocol}, // truncated
		{"d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:v4:teste", 3, 31235, nil},
		{"d1:md6:ut_pexi1eee", 0, 0, ErrNoMetadataSupport},
		{"d1:md11:ut_metadatai0eee", 0, 0, ErrNoMetadataSupport},
		{"d1:md11:ut_metadatai300eee", 0, 0, ErrNoMetadataSupport},
		{"d1:ml11:ut_metadataee", 0, 0, ErrProtocol},
		{"d1:md11:ut_metadatai1ee13:metadata_size3:abce", 0, 0, ErrProtocol},
		{"d1:md11:ut_metadatai1ee13:metadata_sizei-5ee", 1, -5, nil}, // the caller checks the size
	}
	for _, tt := range tests {
		id, size, err := parseExtHandshake([]byte(tt.in))
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%q: error %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || id != tt.id || size != tt.size {
			t.Errorf("%q: got %d %d %v", tt.in, id, size, err)
		}
	}
}

func FuzzParseMetadataMsg(f *testing.F) {
	f.Add([]byte("d8:msg_typei1e5:piecei0e10:total_sizei3eeabc"))
	f.Add([]byte("d8:msg_typei2e5:piecei0ee"))
	f.Add([]byte("d8:msg_typei0e5:piecei2ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, data, err := parseMetadataMsg(b)
		if err == nil && len(data) > len(b) {
			t.Fatalf("data longer than input: %+v", m)
		}
	})
}

func FuzzParseExtHandshake(f *testing.F) {
	f.Add([]byte("d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:v4:teste"))
	f.Add([]byte("d1:md11:ut_metadatai2e6:ut_pexi1e11:lt_donthavei7ee1:pi6881e4:reqqi500e1:v13:qBittorrent/4e"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = parseExtHandshake(b)
	})
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x02\x05\xff"))
	f.Add([]byte("\x00\x00\x00\x03\x14\x00d"))
	f.Add([]byte("\x7f\xff\xff\xff\x14"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newMessageReader(bytes.NewReader(b))
		for range 100 {
			m, err := r.ReadMessage()
			if err != nil {
				return
			}
			if p := m.Payload(); len(p) > maxExtMessage || len(p) > 0 && m.Type != msgExtended {
				t.Fatalf("payload of %d bytes in a message of type %d", len(p), m.Type)
			}
		}
	})
}
