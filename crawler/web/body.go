package web

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// ErrBodyTooLarge is wrapped by the error returned when a body, counted
// after decompression, exceeds its cap.
var ErrBodyTooLarge = errors.New("body too large")

// ErrUnsupportedEncoding is wrapped when a server answers with a
// Content-Encoding we did not ask for and cannot decode (e.g. zstd).
var ErrUnsupportedEncoding = errors.New("unsupported content encoding")

// acceptEncoding is what we ask for: only what we decode. Brotli (br) is
// what many sites behind CDNs send whatever they are asked; its decoder's
// window is at most 16 MiB (the large-window extension is not accepted),
// and the decoded bytes are capped like any other body's.
const acceptEncoding = "gzip, deflate, br"

// capReader reads at most n bytes from r and fails with err if r has more.
type capReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		// Probe: is there anything beyond the cap?
		var b [1]byte
		k, err := io.ReadFull(c.r, b[:])
		if k > 0 {
			return 0, c.err
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// readBody reads r, decoded per the Content-Encoding header value enc, and
// returns at most max decoded bytes. When truncate is false a longer body is
// an error wrapping [ErrBodyTooLarge]; when true the first max bytes are
// returned (robots.txt is parsed from its prefix, as search engines do).
// Compressed input is capped at max bytes too: a stream of empty deflate
// blocks cannot make us read forever.
func readBody(r io.Reader, enc string, max int64, truncate bool) ([]byte, error) {
	if truncate {
		r = io.LimitReader(r, max)
	} else {
		r = &capReader{r: r, n: max, err: fmt.Errorf("%w: compressed body exceeds %d bytes", ErrBodyTooLarge, max)}
	}
	layers := splitEncodings(enc)
	if len(layers) > 2 {
		return nil, fmt.Errorf("%w: %q has more than two layers", ErrUnsupportedEncoding, enc)
	}
	compressed := false
	for i := len(layers) - 1; i >= 0; i-- {
		var err error
		switch layers[i] {
		case "identity":
			continue
		case "gzip", "x-gzip":
			var zr *gzip.Reader
			zr, err = gzip.NewReader(r)
			if err == nil {
				defer zr.Close()
				r = zr
			}
		case "deflate":
			r, err = deflateReader(r)
		case "br":
			r = brotli.NewReader(r)
		default:
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedEncoding, layers[i])
		}
		if err != nil {
			if truncate && errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil
			}
			return nil, fmt.Errorf("decode %s body: %w", layers[i], err)
		}
		compressed = true
	}
	if truncate {
		r = io.LimitReader(r, max)
	} else if compressed {
		r = &capReader{r: r, n: max, err: fmt.Errorf("%w: more than %d bytes after decompression", ErrBodyTooLarge, max)}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		if truncate && errors.Is(err, io.ErrUnexpectedEOF) {
			return b, nil
		}
		if errors.Is(err, ErrBodyTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

// splitEncodings splits a Content-Encoding value into lower-case tokens.
func splitEncodings(enc string) []string {
	var out []string
	for f := range strings.SplitSeq(enc, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// deflateReader reads "deflate" bodies, which are zlib streams by the
// standard and raw deflate from some servers.
func deflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := br.Peek(2)
	if err != nil && len(h) < 2 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}
