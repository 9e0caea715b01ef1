package emulewire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// ErrInflateLimit is wrapped when zlib data expands beyond the allowed size.
var ErrInflateLimit = errors.New("inflated data exceeds the limit")

// Inflate decompresses the zlib stream b, refusing to produce more than max
// bytes: at most max+1 bytes are ever decompressed.
func Inflate(b []byte, max int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err // already says "zlib: ..."
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%w (%d bytes)", ErrInflateLimit, max)
	}
	return out, nil
}

// Deflate compresses b as a zlib stream at the best compression, as aMule
// packs packets.
func Deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression) // the level is valid
	zw.Write(b)                                              // writes to a bytes.Buffer cannot fail
	zw.Close()
	return buf.Bytes()
}
