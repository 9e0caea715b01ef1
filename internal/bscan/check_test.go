package bscan

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	lim := Limits{MaxBytes: 1 << 10, MaxDepth: 3, MaxTokens: 20, MaxIntLen: 5}
	tests := []struct {
		in   string
		want string // "" for accepted, else part of the error
	}{
		{"i0e", ""},
		{"i-12345e", ""},
		{"4:spam", ""},
		{"0:", ""},
		{"le", ""},
		{"de", ""},
		{"d1:ai1e1:bl1:xee", ""},
		{"d1:bi1e1:ai2ee", ""}, // key order is not checked
		{"lllleeee", "nesting deeper than 3"},
		{"llleee", ""},
		{"i123456e", "6 digits"},
		{"i-0e", "leading zero"},
		{"i01e", "leading zero"},
		{"ie", "malformed integer"},
		{"i1", "truncated integer"},
		{"i1x", "malformed integer"},
		{"01:a", "leading zero"},
		{"5:abc", "runs past the end"},
		{"12345678901:a", "too long"},
		{"e", "unexpected 'e'"},
		{"x", "unexpected byte"},
		{"", "empty input"},
		{"l", "truncated"},
		{"i1ei2e", "trailing bytes"},
		{"di1ei2ee", "key is not a string"},
		{"dlei2ee", "key is not a string"},
		{"d1:ae", "key without a value"},
		{"d1:ai1e1:be", "key without a value"},
		{"l" + strings.Repeat("i1e", 20) + "e", "more than 20 values"},
		{strings.Repeat("0:", 1), ""},
		{"d" + strings.Repeat("1:a", 600) + "e", "bytes is more than"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 24)], func(t *testing.T) {
			err := Check([]byte(tt.in), lim)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%.40q: %v", tt.in, err)
			case tt.want != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%.40q: error %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestCheckDeepAndLong(t *testing.T) {
	// Far deeper than anacrolix's decoder survives, rejected quickly.
	deep := strings.Repeat("l", 3_000_000) + strings.Repeat("e", 3_000_000)
	if err := Check([]byte(deep), TorrentFileLimits()); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Errorf("deep nesting: %v", err)
	}
	if err := Check([]byte("i"+strings.Repeat("9", 1<<20)+"e"), TorrentFileLimits()); err == nil {
		t.Error("a megabyte integer was accepted")
	}
	ok := "l" + strings.Repeat("l", 99) + strings.Repeat("e", 99) + "e"
	if err := Check([]byte(ok), MetadataLimits()); err != nil {
		t.Errorf("depth 100: %v", err)
	}
}

func TestValueLen(t *testing.T) {
	lim := Limits{MaxBytes: 32, MaxDepth: 4, MaxTokens: 20, MaxIntLen: 18}
	tests := []struct {
		in   string
		n    int    // length of the value, when accepted
		want string // "" for accepted, else part of the error
	}{
		{"d8:msg_typei1e5:piecei0eeDATA", 25, ""},
		{"d1:ai1eed1:be", 8, ""}, // a second value after the first is data
		{"i42eZ", 4, ""},
		{"3:abcdef", 5, ""},
		{"le", 2, ""},
		{"d1:a" + strings.Repeat("l", 4) + strings.Repeat("e", 4) + "e", 0, "nesting deeper than 4"},
		{"d1:ai1e", 0, "truncated"},
		{"d8:msg_type3:abc5:piecei0ee" + strings.Repeat("x", 40), 27, ""}, // the limit bounds the value, not the input
		{"d1:a40:" + strings.Repeat("x", 40) + "e", 0, "longer than the limit of 32"},
		{"d1:ai" + strings.Repeat("9", 19) + "ee", 0, "19 digits"},
		{"di1ei2ee", 0, "key is not a string"},
		{"", 0, "empty input"},
		{"e", 0, "unexpected 'e'"},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 24)], func(t *testing.T) {
			n, err := ValueLen([]byte(tt.in), lim)
			switch {
			case tt.want == "" && (err != nil || tt.n != 0 && n != tt.n):
				t.Errorf("%.40q: %d, %v; want %d", tt.in, n, err, tt.n)
			case tt.want != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%.40q: error %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}
