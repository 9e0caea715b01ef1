package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
)

// The eMule network (ed2k) in reports: its rows carry an ed2k hash instead
// of an infohash, a block verified instead of pieces, and their own level
// meanings and method.

// networkName names a network for people: "BitTorrent", "eMule (ed2k)".
func networkName(network string) string {
	if network == evidence.NetworkED2K {
		return "eMule (ed2k)"
	}
	return "BitTorrent"
}

// BlockText describes an ed2k block by its byte range of the file, its
// part and its size: "bytes 0–184319 (part #0), 184,320 bytes", or "none".
func BlockText(lang string, b *evidence.ByteRange) string {
	if b == nil || b.End <= b.Start {
		if lang == "ja" {
			return "なし"
		}
		return "none"
	}
	part := b.Start / evidence.ED2KPartSize
	if lang == "ja" {
		return fmt.Sprintf("%d〜%dバイト目（パート#%d）、%s", b.Start, b.End-1, part, byteCount(lang, b.End-b.Start))
	}
	return fmt.Sprintf("bytes %d–%d (part #%d), %s", b.Start, b.End-1, part, byteCount(lang, b.End-b.Start))
}

// ed2kLevelTexts are the meanings of levels on the eMule network (L0 and
// L5 are never reached by an ed2k probe).
var ed2kLevelTexts = map[string][evidence.NumLevels]string{
	"en": {
		"The ed2k link or file was seen in an index, feed or Kad search. This names no computer.",
		"The address was listed as a source of the file by an ed2k link or a Kad node. Anyone can forge such a listing; it proves nothing about the computer at the address.",
		"The computer at this address and port answered our ed2k hello and acknowledged the file by its ed2k hash: it declared that it shares a file with the leaked document's hash.",
		"The computer at this address stated, in its own ed2k file status, that it holds parts of the file with the leaked document's ed2k hash and offers them to others. This is its statement; nothing was downloaded to check it.",
		"One block of the file, downloaded from this address alone, held min(document size, 184,320) bytes of the leaked document, and those bytes were compared byte for byte with the original and were identical: the computer at this address was distributing the document.",
		"Not sought on the eMule network.",
	},
	"ja": {
		"ed2kリンクまたはファイルがインデックス、フィード、Kad検索で確認されました。特定のコンピュータを示すものではありません。",
		"ed2kリンクまたはKadノードがこのアドレスをファイルの配布元として掲載していました。この掲載は誰でも偽装できるため、当該アドレスのコンピュータについては何も証明しません。",
		"このアドレスとポートのコンピュータが当方のed2kハローに応答し、ファイルをそのed2kハッシュ値で認めました。流出文書と同じハッシュ値のファイルを共有していると表明したことを示します。",
		"このアドレスのコンピュータは、自らのed2kファイル状態の通知により、流出文書と同じed2kハッシュ値のファイルのパートを保有し他者に提供していると通知しました。これは当該コンピュータの申告であり、ダウンロードによる確認はしていません。",
		"このアドレスのみからダウンロードしたファイルの1ブロックが流出文書のmin(文書の大きさ, 184,320)バイトを含み、原本と1バイトずつ照合して同一であることを確認しました。このアドレスのコンピュータが文書を配布していたことを示します。",
		"eMuleネットワークでは調査していません。",
	},
}

// levelMeaningNet is [levelMeaning] on the given network.
func levelMeaningNet(lang, network string, l evidence.Level) string {
	if network != evidence.NetworkED2K {
		return levelMeaning(lang, l)
	}
	l = min(max(l, evidence.L0Listed), evidence.L5FullCopy)
	return ed2kLevelTexts[lang][l]
}

// methodTextNet is the METHOD of an annex for a peer of the network: on
// the eMule network its own levels and record, then the clock and the log
// as for BitTorrent.
func methodTextNet(lang, network, version string, maxClock time.Duration) string {
	bt := methodText(lang, version, maxClock)
	if network != evidence.NetworkED2K {
		return bt
	}
	i := strings.Index(bt, "\n"+clockMarker[lang])
	if i < 0 {
		return ed2kMethodText(lang, version)
	}
	return ed2kMethodText(lang, version) + bt[i+1:]
}

// clockMarker starts the paragraph of the method about the clock and the
// log, which both networks share.
var clockMarker = map[string]string{"en": "Clock: ", "ja": "時計："}

// ed2kMethodText states exactly what an ed2k probe asks for and compares.
func ed2kMethodText(lang, version string) string {
	if version == "" {
		version = "(unknown version)"
	}
	if lang == "ja" {
		return `eMuleネットワークでの観測はleakhunt ` + version + `がed2kのTCP接続で行ったものです。leakhuntはダウンロード
する側としてのみ参加し、ファイルを提供・共有せず、ファイルのデータを送信せず（ファイルを求められ
ても「ファイルなし」と応答します）、アップロード待ち行列で待つこともありません。ファイルはed2k
ハッシュ値（9,728,000バイトのパートごとのMD4、およびパートのハッシュ値のMD4）で特定され、leakhunt
はこれを目録の流出文書の写しから計算しています。このハッシュ値のファイルは文書そのもの（全体）です。
このハッシュ値の配布元として（ed2kリンクまたはKadの配布元検索により）示されたアドレスに限って調査
しました。
  L1 告知：ed2kリンクまたはKadノードがアドレスをハッシュ値の配布元として掲載していました。掲載は
     誰でも偽装できるため、L1によって書面でコンピュータを特定することはありません。ハロー応答が
     なかった接続、ファイルがないと応答したピアもL1にとどまります。
  L2 接続：当方からアドレスとポートへTCPで接続し、当方のHELLOにピアがHELLOANSWERで応答し（その
     ユーザーハッシュとクライアントをピアIDとクライアントとして記録）、続いてファイル名の応答
     （REQUESTFILENAMEへの0x59）またはファイル状態（SETREQFILEIDへのFILESTATUS）でこのハッシュ値の
     ファイルを認めました。
  L3 保有通知：このハッシュ値についてのピアのFILESTATUSが、ファイルの1つ以上のパート、または
     ファイル全体（パートのビットマップのない状態）を保有していると通知しました。ファイルの
     どのパートも文書の一部です。これはピアの申告であり、ダウンロードによる確認はしていません。
  L4 配信：ピアがアップロード枠を与えた後、1回のREQUESTPARTSで、保有通知のあったパート内の1ブロック
     （パートの先頭から184,320バイト、文書がそれより短いときは文書全体。パートの境界をまたぎ
     ません）を要求しました。このピアのみから1つの接続で受信したバイト列（そのまま、またはzlib
     ストリームを展開したもの）を目録の写しの同じ位置と1バイトずつ照合し、min(文書の大きさ,
     184,320)バイトのすべてが同一でした。より短いブロックは照合して記録しますがL3にとどまり、
     異なるブロックは最初に異なるバイトの位置とともにL3にとどまります。
eMuleネットワークではL5（完全な複製）は調査していません。各観測には、当方の時計によるUTC時刻、
その時刻が依拠した時計の測定（下記）、ピアのアドレス、ポート、ユーザーハッシュおよびクライアント、
通信方式（"ed2k-tcp"）、ed2kハッシュ値、保有通知のパート、要求したブロックと検証したブロック
（ファイルのバイト範囲）、同一と照合したバイト数、当方のローカルアドレス、ソフトウェアの版、
および通信記録のSHA-256を記録しています。通信記録は送受信したすべてのパケットを送受信のとおりに
保存したもので、ファイルのデータだけはそのSHA-256に置き換えています。
`
	}
	return `Observations on the eMule network were made by leakhunt ` + version + ` over ed2k TCP connections. It
takes part only as a downloader: it offers no files, shares nothing, never sends file data (a peer
asking for a file is told there is none) and never waits in an upload queue. The file is named by
its ed2k hash (the MD4 of each 9,728,000-byte part, and the MD4 of the part hashes), which leakhunt
computed from the catalogued copy of the leaked document: a file with that hash is the document,
whole. Only addresses given as sources of that hash (by an ed2k link or a Kad source search) were
probed.
  L1 announced: an ed2k link or a Kad node listed the address as a source of the hash. Anyone can
     forge a listing, so L1 never names a computer in a letter. A connection that got no hello
     answer, and a peer that said it has no such file, stay at L1.
  L2 connected: we opened a TCP connection to the address and port, the peer answered our HELLO
     with a HELLOANSWER (its user hash and client are recorded as peer id and client), then
     acknowledged the file by its hash with a file name answer (0x59, to REQUESTFILENAME) or a
     file status (FILESTATUS, to SETREQFILEID) for exactly that hash.
  L3 claims: the peer's FILESTATUS for the hash claimed at least one part of the file, or the
     whole file (a status with no part bitmap). Every part of the file is part of the document.
     This is the peer's statement; it was not checked by downloading.
  L4 served: once the peer gave us an upload slot, we asked in one REQUESTPARTS for one block
     inside a part it claimed: the first 184,320 bytes of the part, or the whole document when it
     is shorter, never across a part boundary. The bytes received from this one peer on this one
     connection (plain, or a zlib stream, inflated) were compared byte for byte with the
     catalogued copy at the same offset, and all min(document size, 184,320) of them were
     identical. A shorter block is compared and recorded but stays at L3; a block that differs
     stays at L3 with the offset of its first differing byte.
L5 (full copy) is not sought on the eMule network. Each observation keeps the UTC time from our
clock, the clock measurement it relied on (below), the peer's address, port, user hash and client,
the transport ("ed2k-tcp"), the ed2k hash, the parts claimed, the block requested and the block
verified (byte ranges of the file), the number of bytes compared equal, our own local address,
the software version, and the SHA-256 of the wire transcript, which keeps every packet sent and
received as on the wire, except file data, which is replaced by its SHA-256.
`
}

// ed2kCheckingText is the CHECKING step for records of the eMule network.
func ed2kCheckingText(lang string) string {
	if lang == "ja" {
		return `7. eMuleネットワークの記録（"network":"ed2k"）は照合の根拠を引用しません。そのed2kハッシュ値は文書自体
   から計算できます。L4の記録は検証したブロック（"block_verified"）を示し、そのバイト数が記録の
   文書のバイト数と一致しなければなりません。通信記録はパケットごとに方向（R/W）、種類（P/H/C）、
   4バイトの長さ、バイト列を連結した形式です。
`
	}
	return `7. Records of the eMule network ("network":"ed2k") cite no match basis: their ed2k hash can be
   computed from the document itself. An L4 record names the block verified ("block_verified"),
   whose length must equal the document bytes it counts. Their transcripts are, per packet, a
   direction (R/W), a kind (P/H/C), a 4-byte length and the bytes.
`
}

// netSuffix is what a letter row adds to its transport to name the
// network: " (BitTorrent)".
func netSuffix(lang, network string) string {
	if lang == "ja" {
		return "（" + networkName(network) + "）"
	}
	return " (" + networkName(network) + ")"
}

// partList lists ed2k parts claimed ("2 parts (#0, #1)"), of total.
func partList(lang string, v []int, total int) string {
	nums := make([]string, 0, min(len(v), 32))
	for i, x := range v {
		if i == 32 {
			break
		}
		nums = append(nums, "#"+strconv.Itoa(x))
	}
	more := ""
	if total > len(nums) {
		more = fmt.Sprintf(" and %d more", total-len(nums))
		if lang == "ja" {
			more = fmt.Sprintf(" 他%d", total-len(nums))
		}
	}
	if lang == "ja" {
		return fmt.Sprintf("%dパート（%s%s）", total, strings.Join(nums, ", "), more)
	}
	unit := "parts"
	if total == 1 {
		unit = "part"
	}
	return fmt.Sprintf("%d %s (%s%s)", total, unit, strings.Join(nums, ", "), more)
}

// networksPhrase names the networks of a letter's hosts as its text says
// them: "the BitTorrent file-sharing network" when none is named.
func networksPhrase(lang string, nets map[string]bool) string {
	bt, ed := nets[evidence.NetworkBitTorrent] || !nets[evidence.NetworkED2K], nets[evidence.NetworkED2K]
	switch {
	case lang == "ja" && bt && ed:
		return "BitTorrent及びeMule（ed2k）ファイル共有ネットワーク"
	case lang == "ja" && ed:
		return "eMule（ed2k）ファイル共有ネットワーク"
	case lang == "ja":
		return "BitTorrentファイル共有ネットワーク"
	case bt && ed:
		return "the BitTorrent and eMule (ed2k) file-sharing networks"
	case ed:
		return "the eMule (ed2k) file-sharing network"
	}
	return "the BitTorrent file-sharing network"
}

// subjectText is what a summary shows of what the peer shares: the
// infohash, or "ed2k:" and the ed2k hash.
func subjectText(k peerKey) string { return k.subject() }

// checkED2KRecord checks what a bundle can check of an ed2k record
// without the document: an L4 record names the block verified, inside one
// part, and counts exactly its bytes as verified; a lower one verified
// nothing.
func checkED2KRecord(n int64, k *leafKey) error {
	b := k.BlockVerified
	switch {
	case k.ED2K.IsZero():
		return fmt.Errorf("record %d: an ed2k record names no ed2k hash", n)
	case k.Level >= evidence.L5FullCopy:
		return fmt.Errorf("record %d: %s is not a level of the eMule network", n, k.Level)
	case k.Level < evidence.L4Served && (b != nil || k.DocBytesVerified != 0):
		return fmt.Errorf("record %d: below L4 but names verified bytes", n)
	case k.Level < evidence.L4Served:
		return nil
	case b == nil || b.Start < 0 || b.End <= b.Start || b.End-b.Start > ed2k.BlockSize:
		return fmt.Errorf("record %d: L4 without a verified block of at most %d bytes", n, ed2k.BlockSize)
	case b.Start/evidence.ED2KPartSize != (b.End-1)/evidence.ED2KPartSize:
		return fmt.Errorf("record %d: the verified block crosses a part boundary", n)
	case k.DocBytesVerified != b.End-b.Start:
		return fmt.Errorf("record %d: counts %d document bytes for a block of %d", n, k.DocBytesVerified, b.End-b.Start)
	}
	return nil
}

// ed2kMatchedBy says how an ed2k file is known to be the document.
func ed2kMatchedBy(lang string) string {
	if lang == "ja" {
		return "ed2k：ファイルのed2kハッシュ値が目録の文書の写しから計算したed2kハッシュ値と一致"
	}
	return "ed2k: the file's ed2k hash equals the one computed from the catalogued copy of the document"
}

// hasNetwork reports whether the report names a peer of the network.
func (r *run) hasNetwork(network string) bool {
	for _, p := range r.peers {
		if p.agg.Net() == network {
			return true
		}
	}
	return false
}

// bundleMethod is the METHOD of the bundle's README: that of each network
// its peers are on (BitTorrent's when none).
func (r *run) bundleMethod(lang string) string {
	bt := methodText(lang, r.opt.Version, r.opt.MaxClockError)
	switch {
	case !r.hasNetwork(evidence.NetworkED2K):
		return bt
	case r.hasNetwork(evidence.NetworkBitTorrent):
		return ed2kMethodText(lang, r.opt.Version) + bt
	}
	return methodTextNet(lang, evidence.NetworkED2K, r.opt.Version, r.opt.MaxClockError)
}

// bundleChecking is the CHECKING of the bundle's README.
func (r *run) bundleChecking(lang string) string {
	return r.checking(lang, r.hasNetwork(evidence.NetworkED2K))
}

// checking is the CHECKING text: the steps for every record, then those
// for eMule records (when ed2k), then those for other sensors' sections
// (when the report covers any).
func (r *run) checking(lang string, ed2k bool) string {
	text, step := checkingText(lang), 7
	if ed2k {
		text += ed2kCheckingText(lang)
		step++
	}
	if len(r.sensors) > 0 {
		text += sensorsCheckingText(lang, step)
	}
	return text
}
