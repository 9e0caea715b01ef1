package web

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"testing"
)

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += k
	return k, err
}

func TestReadBodyCap(t *testing.T) {
	b := bomb(t, 64<<20)
	cr := &countingReader{r: bytes.NewReader(b)}
	_, err := readBody(cr, "gzip", 1<<20, false)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err %v, want ErrBodyTooLarge", err)
	}
	// Inflation stopped at the cap: only a small part of the compressed
	// stream was consumed.
	if cr.n > len(b)/4 {
		t.Errorf("read %d of %d compressed bytes before stopping", cr.n, len(b))
	}

	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	fw.Write([]byte("raw deflate body"))
	fw.Close()
	tests := []struct {
		name     string
		in       []byte
		enc      string
		max      int64
		truncate bool
		want     string
		err      error
	}{
		{"identity within cap", []byte("hello"), "", 5, false, "hello", nil},
		{"identity over cap", []byte("hello!"), "identity", 5, false, "", ErrBodyTooLarge},
		{"identity truncated", []byte("hello!"), "", 5, true, "hello", nil},
		{"raw deflate", raw.Bytes(), "deflate", 100, false, "raw deflate body", nil},
		{"gzip bomb truncated", bomb(t, 1<<20), "gzip", 100, true, string(make([]byte, 100)), nil},
		{"unknown", []byte("x"), "compress", 10, false, "", ErrUnsupportedEncoding},
		{"three layers", []byte("x"), "gzip, gzip, gzip", 10, false, "", ErrUnsupportedEncoding},
		{"broken gzip", []byte("\x1f\x8b\x08\x00garbage"), "gzip", 10, false, "", nil},
		{"empty gzip", nil, "gzip", 10, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readBody(bytes.NewReader(tt.in), tt.enc, tt.max, tt.truncate)
			switch {
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("err %v, want %v", err, tt.err)
			case tt.err == nil && tt.want != "" && err != nil:
				t.Fatalf("err %v", err)
			case tt.want == "" && tt.err == nil && err == nil:
				t.Fatalf("broken input accepted: %q", got)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
