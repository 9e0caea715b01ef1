package emulewire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Tag value types (aMule TagTypes.h).
const (
	TypeHash   byte = 0x01
	TypeString byte = 0x02
	TypeUint32 byte = 0x03
	TypeFloat  byte = 0x04
	TypeBool   byte = 0x05
	TypeBools  byte = 0x06
	TypeBlob   byte = 0x07
	TypeUint16 byte = 0x08
	TypeUint8  byte = 0x09
	TypeBsob   byte = 0x0A
	TypeUint64 byte = 0x0B
	// TypeStr1 to TypeStr16 are strings of 1 to 16 bytes whose length is
	// the type (ed2k dialect only). They are read as TypeString.
	TypeStr1  byte = 0x11
	TypeStr16 byte = 0x20
)

// Dialect selects which tag encodings [ReadTag] accepts.
type Dialect int

const (
	// Kad accepts what aMule's Kad reader accepts: a 16-bit name length and
	// the types hash, string, uint8/16/32/64, float and bsob.
	Kad Dialect = iota
	// ED2K also accepts one-byte names (type bit 7 set), the short string
	// types TypeStr1–TypeStr16, blobs, bools and bool arrays.
	ED2K
)

// Limits bound what [ReadTag] accepts. A zero field means "nothing of that
// kind is allowed" except MaxTags, which is only used by [ReadTags].
type Limits struct {
	MaxTags   int // tags in one list
	MaxName   int // bytes of a tag name
	MaxString int // bytes of a string value
	MaxBlob   int // bytes of a blob or bsob value
}

// Errors about tags.
var (
	ErrTagType  = errors.New("unsupported tag type")
	ErrTagLimit = errors.New("tag exceeds a limit")
)

// Tag is one eMule tag. Name is the tag name; numbered tags (the usual
// case) have a one-byte name, see [Tag.ID]. Exactly one value field is
// meaningful, chosen by Type: Int for the integer types and bools, Str for
// strings (raw bytes, usually UTF-8), Hash, Bytes for blobs and bsobs, Float.
type Tag struct {
	Name  string
	Type  byte
	Int   uint64
	Str   string
	Hash  [16]byte
	Bytes []byte
	Float float32
}

// IntTag returns a tag named by the one-byte id holding v in the smallest
// integer type that fits, as aMule's CTagVarInt does.
func IntTag(id byte, v uint64) Tag {
	t := Tag{Name: string([]byte{id}), Int: v}
	switch {
	case v <= math.MaxUint8:
		t.Type = TypeUint8
	case v <= math.MaxUint16:
		t.Type = TypeUint16
	case v <= math.MaxUint32:
		t.Type = TypeUint32
	default:
		t.Type = TypeUint64
	}
	return t
}

// Uint32Tag returns a tag named by id holding v as a uint32, as aMule sends
// the integer tags of a hello packet.
func Uint32Tag(id byte, v uint32) Tag {
	return Tag{Name: string([]byte{id}), Type: TypeUint32, Int: uint64(v)}
}

// StringTag returns a string tag named by the one-byte id.
func StringTag(id byte, s string) Tag {
	return Tag{Name: string([]byte{id}), Type: TypeString, Str: s}
}

// ID returns the tag's one-byte name and true, or 0 and false for a tag
// with a longer (or empty) name.
func (t Tag) ID() (byte, bool) {
	if len(t.Name) != 1 {
		return 0, false
	}
	return t.Name[0], true
}

// Uint returns the value of an integer tag and true, or 0 and false for a
// tag of another type.
func (t Tag) Uint() (uint64, bool) {
	switch t.Type {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		return t.Int, true
	}
	return 0, false
}

// String returns a short description for logs and errors.
func (t Tag) String() string {
	name := fmt.Sprintf("%q", t.Name)
	if id, ok := t.ID(); ok {
		name = fmt.Sprintf("0x%02X", id)
	}
	switch t.Type {
	case TypeString:
		return fmt.Sprintf("%s=%q", name, t.Str)
	case TypeHash:
		return fmt.Sprintf("%s=%x", name, t.Hash)
	case TypeBlob, TypeBsob:
		return fmt.Sprintf("%s=<%d bytes>", name, len(t.Bytes))
	case TypeFloat:
		return fmt.Sprintf("%s=%g", name, t.Float)
	}
	return fmt.Sprintf("%s=%d", name, t.Int)
}

// ReadTag reads one tag in dialect d under lim.
func ReadTag(r *Reader, d Dialect, lim Limits) (Tag, error) {
	var t Tag
	typ := r.U8()
	if r.Err() != nil {
		return t, r.Err()
	}
	if typ&0x80 != 0 {
		if d != ED2K {
			return t, fmt.Errorf("%w: 0x%02X", ErrTagType, typ)
		}
		typ &= 0x7F
		t.Name = string(r.Bytes(1))
	} else {
		n := int(r.U16())
		if r.Err() == nil && n > lim.MaxName {
			return t, fmt.Errorf("%w: name of %d bytes (max %d)", ErrTagLimit, n, lim.MaxName)
		}
		t.Name = string(r.Bytes(n))
	}
	t.Type = typ
	switch {
	case typ == TypeHash:
		t.Hash = r.Hash()
	case typ == TypeString:
		t.Str = readString(r, int(r.U16()), lim)
	case typ == TypeUint64:
		t.Int = r.U64()
	case typ == TypeUint32:
		t.Int = uint64(r.U32())
	case typ == TypeUint16:
		t.Int = uint64(r.U16())
	case typ == TypeUint8:
		t.Int = uint64(r.U8())
	case typ == TypeFloat:
		t.Float = math.Float32frombits(r.U32())
	case typ == TypeBsob:
		t.Bytes = readBlob(r, int(r.U8()), lim)
	case d == ED2K && typ >= TypeStr1 && typ <= TypeStr16:
		t.Type = TypeString
		t.Str = readString(r, int(typ-TypeStr1)+1, lim)
	case d == ED2K && typ == TypeBlob:
		n := r.U32()
		if r.Err() == nil && uint64(n) > uint64(lim.MaxBlob) {
			return t, fmt.Errorf("%w: blob of %d bytes (max %d)", ErrTagLimit, n, lim.MaxBlob)
		}
		t.Bytes = readBlob(r, int(n), lim)
	case d == ED2K && typ == TypeBool:
		t.Int = uint64(r.U8())
	case d == ED2K && typ == TypeBools:
		// aMule skips len/8+1 bytes; so do we.
		n := int(r.U16())/8 + 1
		t.Bytes = readBlob(r, n, lim)
	default:
		return t, fmt.Errorf("%w: 0x%02X", ErrTagType, typ)
	}
	return t, r.Err()
}

func readString(r *Reader, n int, lim Limits) string {
	if r.Err() == nil && n > lim.MaxString {
		r.Fail(fmt.Errorf("%w: string of %d bytes (max %d)", ErrTagLimit, n, lim.MaxString))
		return ""
	}
	return string(r.Bytes(n))
}

func readBlob(r *Reader, n int, lim Limits) []byte {
	if r.Err() == nil && n > lim.MaxBlob {
		r.Fail(fmt.Errorf("%w: blob of %d bytes (max %d)", ErrTagLimit, n, lim.MaxBlob))
		return nil
	}
	b := r.Bytes(n)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// ReadTags reads count tags, refusing more than lim.MaxTags.
func ReadTags(r *Reader, count int, d Dialect, lim Limits) ([]Tag, error) {
	if count > lim.MaxTags {
		return nil, fmt.Errorf("%w: %d tags (max %d)", ErrTagLimit, count, lim.MaxTags)
	}
	if count <= 0 {
		return nil, nil
	}
	tags := make([]Tag, 0, count)
	for range count {
		t, err := ReadTag(r, d, lim)
		if err != nil {
			return nil, fmt.Errorf("tag %d: %w", len(tags), err)
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// AppendTag appends t in the form aMule writes (a 16-bit name length, also
// for one-byte names), which both dialects read. Values that do not fit
// their length field are truncated: strings and names to 65,535 bytes,
// bsobs to 255, so callers must respect those sizes. A tag of an unknown
// type is written as an empty string.
func AppendTag(dst []byte, t Tag) []byte {
	typ := t.Type
	if typ >= TypeStr1 && typ <= TypeStr16 {
		typ = TypeString
	}
	switch typ {
	case TypeHash, TypeString, TypeUint64, TypeUint32, TypeUint16, TypeUint8, TypeFloat, TypeBsob, TypeBlob, TypeBool:
	default:
		typ, t.Str = TypeString, ""
	}
	dst = append(dst, typ)
	dst = appendString16(dst, t.Name)
	switch typ {
	case TypeHash:
		dst = append(dst, t.Hash[:]...)
	case TypeString:
		dst = appendString16(dst, t.Str)
	case TypeUint64:
		dst = binary.LittleEndian.AppendUint64(dst, t.Int)
	case TypeUint32:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(t.Int))
	case TypeUint16:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(t.Int))
	case TypeUint8, TypeBool:
		dst = append(dst, uint8(t.Int))
	case TypeFloat:
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(t.Float))
	case TypeBsob:
		b := t.Bytes[:min(len(t.Bytes), math.MaxUint8)]
		dst = append(dst, byte(len(b)))
		dst = append(dst, b...)
	case TypeBlob:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(t.Bytes)))
		dst = append(dst, t.Bytes...)
	}
	return dst
}

func appendString16(dst []byte, s string) []byte {
	s = s[:min(len(s), math.MaxUint16)]
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}
