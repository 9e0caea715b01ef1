package evidence

import (
	"fmt"
	"strings"
)

// azureusClient names the client behind the two-letter code of an
// Azureus-style peer id ("-qB4650-...").
func azureusClient(code string) (string, bool) {
	switch code {
	case "AZ":
		return "Vuze", true
	case "BC":
		return "BitComet", true
	case "BI":
		return "BiglyBT", true
	case "BT":
		return "BitTorrent", true
	case "DE":
		return "Deluge", true
	case "FD":
		return "Free Download Manager", true
	case "GT":
		return "anacrolix/torrent", true
	case "KT":
		return "KTorrent", true
	case "LT":
		return "libtorrent", true
	case "lt":
		return "rTorrent/libTorrent", true
	case "LH":
		return "LH-ABC", true
	case "LX":
		return "leakhunt", true
	case "PI":
		return "PicoTorrent", true
	case "qB":
		return "qBittorrent", true
	case "TR":
		return "Transmission", true
	case "TX":
		return "Tixati", true
	case "UT":
		return "µTorrent", true
	case "UM":
		return "µTorrent Mac", true
	case "UW":
		return "µTorrent Web", true
	case "WD":
		return "WebTorrent Desktop", true
	case "WW":
		return "WebTorrent", true
	case "XL":
		return "Xunlei", true
	case "SD":
		return "Thunder", true
	case "FW":
		return "FrostWire", true
	case "SZ":
		return "Shareaza", true
	case "MG":
		return "MediaGet", true
	}
	return "", false
}

// clientFromPeerID decodes a client name from a peer id: Azureus style
// ("-XXVVVV-": code and four version characters) or Mainline style
// ("M7-4-3--"). It returns "" when the id follows neither.
func clientFromPeerID(id []byte) string {
	if len(id) != 20 {
		return ""
	}
	if id[0] == '-' && id[7] == '-' && printable(id[1:7]) {
		code := string(id[1:3])
		name, ok := azureusClient(code)
		if !ok {
			name = code
		}
		var ver []string
		for _, c := range string(id[3:7]) {
			ver = append(ver, string(c))
		}
		return cleanClient(fmt.Sprintf("%s %s", name, strings.Join(ver, ".")))
	}
	if id[0] == 'M' || id[0] == 'T' || id[0] == 'Q' {
		// Mainline and a few others: letter, then digits separated by '-'.
		s := string(id[1:])
		if i := strings.Index(s, "--"); i > 0 && printable([]byte(s[:i])) {
			parts := strings.Split(s[:i], "-")
			ok := true
			for _, p := range parts {
				if p == "" || strings.Trim(p, "0123456789") != "" {
					ok = false
				}
			}
			if ok {
				name := "Mainline"
				switch id[0] {
				case 'T':
					name = "BitTornado"
				case 'Q':
					name = "Queen Bee"
				}
				return name + " " + strings.Join(parts, ".")
			}
		}
	}
	return ""
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
