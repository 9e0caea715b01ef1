package fingerprint

// Fingerprint is every hash leakhunt knows for one document, computed in a
// single read. Hex fields are lower case; TTH is upper-case base32 without
// padding. The JSON field names are part of the CLI contract.
type Fingerprint struct {
	// Path is where the document was read from; empty for readers.
	Path string `json:"path,omitempty"`
	// Size is the length in bytes.
	Size   int64  `json:"size"`
	MD5    string `json:"md5"`
	SHA1   string `json:"sha1"`
	SHA256 string `json:"sha256"`
	// ED2K follows eMule and rhash: for a size that is a positive multiple of
	// the 9,728,000-byte chunk, the MD4 of an empty chunk is appended.
	ED2K string `json:"ed2k"`
	// ED2KAlt is the other convention (no empty chunk); it is set only when
	// it differs from ED2K, that is for exact multiples of the chunk size.
	ED2KAlt string `json:"ed2k_alt,omitempty"`
	// TTH is the Tiger Tree Hash root.
	TTH string `json:"tth"`
	// BTv2Root is the BEP 52 pieces root; empty for an empty file.
	BTv2Root string `json:"btv2_root,omitempty"`
}
