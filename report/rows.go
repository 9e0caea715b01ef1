package report

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Letter rows are spooled to a temporary file while annexes are written,
// then read back, in the same order, as letters are rendered: a letter
// can list millions of rows without holding them. The spool's encoding is
// private and short-lived: unsigned varints for numbers, and strings as a
// length then bytes, in LetterRow's field order.

// rowStrings are a row's string fields, in spool order.
func rowStrings(r *LetterRow) []*string {
	return []*string{&r.TimeUTC, &r.TimeLocal, &r.IP, &r.SeenAs, &r.Local, &r.Transport, &r.InfoHash, &r.Level,
		&r.Pieces, &r.Failed, &r.DocBytes, &r.ClockBound, &r.ClockLimit, &r.ClockNote, &r.Law, &r.Sensor, &r.Log}
}

// appendRow appends the spool encoding of r.
func appendRow(b []byte, r *LetterRow) []byte {
	b = binary.AppendUvarint(b, uint64(r.N))
	b = binary.AppendUvarint(b, uint64(r.Record))
	b = binary.AppendUvarint(b, uint64(r.Port))
	if r.ClockOK {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, s := range rowStrings(r) {
		b = binary.AppendUvarint(b, uint64(len(*s)))
		b = append(b, *s...)
	}
	return b
}

// maxRowString bounds one string of a spooled row.
const maxRowString = 1 << 20

// readRow reads one row written by appendRow.
func readRow(br *bufio.Reader) (LetterRow, error) {
	var r LetterRow
	var nums [3]uint64
	for i := range nums {
		v, err := binary.ReadUvarint(br)
		if err != nil {
			return r, err
		}
		nums[i] = v
	}
	r.N, r.Record, r.Port = int(nums[0]), int64(nums[1]), int(nums[2])
	ok, err := br.ReadByte()
	if err != nil {
		return r, err
	}
	r.ClockOK = ok == 1
	for _, s := range rowStrings(&r) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return r, err
		}
		if n > maxRowString {
			return r, errors.New("letter row string too long")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return r, err
		}
		*s = string(b)
	}
	return r, nil
}

// rowReader reads a peer's rows back for a letter.
func (r *run) spooledRowsReader(p *peerOut) (*bufio.Reader, error) {
	if r.rows == nil {
		return nil, fmt.Errorf("no rows spool")
	}
	return bufio.NewReaderSize(io.NewSectionReader(r.rows, p.rowsOff, p.rowsLen), 64<<10), nil
}
