package fingerprint

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/leakhunt/leakhunt/fingerprint/internal/tiger"
)

// Options tune a fingerprint run. The zero value is ready to use.
type Options struct {
	// OnProgress, if set, is called from the reading goroutine after each
	// buffer with the number of bytes read so far.
	OnProgress func(done int64)
	// BufferSize is the size of each read; 0 means 1 MiB. It is rounded up
	// to a multiple of 16 KiB.
	BufferSize int
}

// ErrChanged is wrapped when a file changed while it was being hashed.
var ErrChanged = errors.New("file changed while being hashed")

// ErrNotRegular is wrapped when a path names a FIFO, device, socket or
// directory where a regular file was expected.
var ErrNotRegular = errors.New("not a regular file")

// File fingerprints the regular file at path in one read. It refuses special
// files (a FIFO would block forever) and detects a file that changes size or
// modification time while it is read. File is safe for concurrent use.
func File(path string, opt *Options) (Fingerprint, error) {
	before, err := os.Stat(path)
	if err != nil {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w", path, err)
	}
	if !before.Mode().IsRegular() {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w (%s): give the path of a regular file", path, ErrNotRegular, describeMode(before.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w", path, err)
	}
	defer f.Close()
	fp, err := Reader(f, opt)
	if err != nil {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w", path, err)
	}
	after, err := f.Stat()
	if err != nil {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w", path, err)
	}
	if after.Size() != before.Size() || fp.Size != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return Fingerprint{}, fmt.Errorf("fingerprint %q: %w (size %d when opened, %d read, %d now): hash it again once it is no longer being written",
			path, ErrChanged, before.Size(), fp.Size, after.Size())
	}
	fp.Path = path
	return fp, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return m.String()
}

// Reader fingerprints everything r yields. One goroutine reads; each hash
// runs in its own goroutine over the same buffers, so every core is used and
// memory stays constant (a few buffers in flight, whatever the size).
func Reader(r io.Reader, opt *Options) (Fingerprint, error) {
	if opt == nil {
		opt = &Options{}
	}
	bufSize := opt.BufferSize
	if bufSize <= 0 {
		bufSize = 1 << 20
	}
	bufSize = (bufSize + BTv2Block - 1) / BTv2Block * BTv2Block

	md5h, sha1h, sha256h := md5.New(), sha1.New(), sha256.New()
	ed2k, tth, v2 := newED2K(), tiger.NewTree(), newBTv2()
	sinks := []io.Writer{md5h, sha1h, sha256h, ed2k, tth, v2}

	// Every block goes to every sink; the last sink done with a block puts
	// it back on the free list, which bounds memory to inFlight blocks.
	const inFlight = 6
	type block struct {
		b    []byte
		refs atomic.Int32
	}
	free := make(chan *block, inFlight)
	for range inFlight {
		free <- &block{b: make([]byte, bufSize)}
	}
	chans := make([]chan *block, len(sinks))
	var wg sync.WaitGroup
	for i, s := range sinks {
		in := make(chan *block, inFlight)
		chans[i] = in
		wg.Go(func() {
			for blk := range in {
				s.Write(blk.b) // hash writers never fail
				if blk.refs.Add(-1) == 0 {
					free <- blk
				}
			}
		})
	}

	var size int64
	var readErr error
	for {
		blk := <-free
		n, err := io.ReadFull(r, blk.b[:cap(blk.b)])
		if n > 0 {
			size += int64(n)
			blk.b = blk.b[:n]
			blk.refs.Store(int32(len(chans)))
			for _, c := range chans {
				c <- blk
			}
			if opt.OnProgress != nil {
				opt.OnProgress(size)
			}
		} else {
			free <- blk
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	if readErr != nil {
		return Fingerprint{}, fmt.Errorf("read after %d bytes: %w", size, readErr)
	}
	fp := Fingerprint{
		Size:     size,
		MD5:      hex.EncodeToString(md5h.Sum(nil)),
		SHA1:     hex.EncodeToString(sha1h.Sum(nil)),
		SHA256:   hex.EncodeToString(sha256h.Sum(nil)),
		TTH:      tthString(tth.Root()),
		BTv2Root: v2.root(),
	}
	fp.ED2K, fp.ED2KAlt = ed2k.sums()
	return fp, nil
}

// tthBase32 is the RFC 4648 alphabet without padding, as TTH is written in magnet
// links and by rhash.
var tthBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func tthString(sum [tiger.Size]byte) string { return tthBase32.EncodeToString(sum[:]) }
