package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PieceList says which pieces, listing at most max: "1 piece (#0)",
// "3 pieces (#0, #1, #7)", "none" (「1ピース（#0）」, 「なし」 in Japanese).
// Piece numbers count from 0.
func PieceList(lang string, v []int, max int) string {
	if len(v) == 0 {
		if lang == "ja" {
			return "なし"
		}
		return "none"
	}
	var b strings.Builder
	for i, x := range v {
		if i == max {
			if lang == "ja" {
				fmt.Fprintf(&b, " 他%d", len(v)-max)
			} else {
				fmt.Fprintf(&b, " and %d more", len(v)-max)
			}
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("#" + strconv.Itoa(x))
	}
	if lang == "ja" {
		return fmt.Sprintf("%dピース（%s）", len(v), b.String())
	}
	unit := "pieces"
	if len(v) == 1 {
		unit = "piece"
	}
	return fmt.Sprintf("%d %s (%s)", len(v), unit, b.String())
}

// byteCount is "32,768 bytes" (「32,768バイト」).
func byteCount(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if lang == "ja" {
		return b.String() + "バイト"
	}
	if n == 1 {
		return "1 byte"
	}
	return b.String() + " bytes"
}

// Laws under which a Japanese ISP is asked to act, by the date of the
// communication: the Act of 2001 (Heisei 13, No. 137) was renamed and
// amended by Act No. 25 of 2024 (Reiwa 6), in force on 1 April 2025. Its
// disclosure request was Article 4(1) until the amendment of 2021 came
// into force on 1 October 2022, and Article 5(1) since.
var (
	platformActFrom    = time.Date(2025, 4, 1, 0, 0, 0, 0, jst)
	disclosureArt5From = time.Date(2022, 10, 1, 0, 0, 0, 0, jst)
)

// jst is Japan Standard Time (no daylight saving since 1951).
var jst = time.FixedZone("JST", 9*3600)

// lawJA is the law in force at t (a communication's time), with its short
// name and, for disclosure, the article.
func lawJA(t time.Time, disclosure bool) string {
	var law string
	if t.Before(platformActFrom) {
		law = "特定電気通信役務提供者の損害賠償責任の制限及び発信者情報の開示に関する法律（プロバイダ責任制限法）"
	} else {
		law = "特定電気通信による情報の流通によって発生する権利侵害等への対処に関する法律（情報流通プラットフォーム対処法）"
	}
	if !disclosure {
		return law
	}
	if t.Before(disclosureArt5From) {
		return law + "第4条第1項"
	}
	return law + "第5条第1項"
}

// lawsJA names the law(s) in force over communications from first to
// last, saying which applies to which period when they straddle a change.
func lawsJA(first, last time.Time, disclosure bool) string {
	type period struct {
		from time.Time
		law  string
	}
	ps := []period{{first, lawJA(first, disclosure)}}
	for _, b := range []time.Time{disclosureArt5From, platformActFrom} {
		if b.After(first) && !b.After(last) {
			if law := lawJA(b, disclosure); law != ps[len(ps)-1].law {
				ps = append(ps, period{b, law})
			}
		}
	}
	if len(ps) == 1 {
		return ps[0].law
	}
	date := func(t time.Time) string { return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day()) }
	var parts []string
	for i, p := range ps {
		switch {
		case i == 0:
			parts = append(parts, date(ps[1].from.Add(-time.Hour))+"以前の通信については"+p.law)
		case i == len(ps)-1:
			parts = append(parts, date(p.from)+"以降の通信については"+p.law)
		default:
			parts = append(parts, date(p.from)+"から"+date(ps[i+1].from.Add(-time.Hour))+"までの通信については"+p.law)
		}
	}
	return strings.Join(parts, "、")
}

// Rights a letter may name as infringed (FileConfig.Right).
var rightTexts = map[string][2]string{
	"privacy":      {"the right to privacy of the persons whose personal data the document holds", "プライバシー権（本件文書に記録された個人の私生活上の情報をみだりに公開されない権利）"},
	"trade_secret": {"our client's trade secrets (information kept secret and of commercial value)", "依頼者の営業秘密（不正競争防止法第2条第6項）"},
	"copyright":    {"our client's copyright in the document (the rights of making available and of public transmission)", "依頼者が本件文書について有する著作権（送信可能化権を含む公衆送信権）"},
}

// Legitimate reasons for a disclosure (FileConfig.DisclosureReasons), in
// the order of the standard form.
var disclosureReasonTexts = map[string][2]string{
	"damages":    {"to claim damages from the sender", "損害賠償請求権の行使のために必要であるため"},
	"apology":    {"to seek an apology or other measures restoring our client's standing", "謝罪広告等の名誉回復措置の要請のために必要であるため"},
	"injunction": {"to seek an injunction against further distribution", "差止請求権の行使のために必要であるため"},
	"removal":    {"to ask the sender to stop distributing the document", "発信者に対する送信停止の要請のために必要であるため"},
}

var disclosureReasonOrder = []string{"damages", "apology", "injunction", "removal"}

// methodText describes, for a lawyer, exactly how observations are made
// and what is kept.
func methodText(lang, version string, maxClock time.Duration) string {
	if version == "" {
		version = "(unknown version)"
	}
	if lang == "ja" {
		return `観測はleakhunt ` + version + `によるものです。leakhuntはBitTorrentネットワークにダウンロードする側
としてのみ参加し、ピースのデータを送信せず、自らを配布元として告知することもありません。
いずれのピアにも接続する前に、トレントが目録の流出文書の写しを含むことを照合しています（上記
「照合方法」）。照合できたトレントのピアに限って調査しました。
  L1 告知：DHTノード、トラッカーまたは他のピア（PEX）がアドレスを掲載していました。掲載は誰でも
     偽装できるため、L1によって書面でコンピュータを特定することはありません。
  L2 接続：当方からアドレスとポートへTCPまたはuTPで接続し、このトレントのinfohashを示す
     BitTorrentハンドシェイクが成立しました。相手が送ったピアIDとクライアント名を記録しています。
  L3 保有通知：ピア自身のbitfieldまたはHAVEメッセージが、流出文書に重なるピースを保有していると
     通知しました。これはピアの申告であり、ダウンロードによる確認はしていません。
  L4 配信：このピアのみからダウンロードしたピースが、いずれもトレントのSHA-1ピースハッシュ値と
     一致し、流出文書のmin(文書の大きさ, ピースの大きさ)バイト以上を含み、その文書部分を目録の写しと
     1バイトずつ照合して同一でした。文書の端にかかり文書部分がそれより少ないピースは、検証済みと
     して記録しますがL4には達しません。
  L5 完全な複製：流出文書に重なるすべてのピースをこのピアのみからダウンロードし、同じ方法で確認
     しました。
ハッシュ値が一致しないピースは不一致として記録し、その観測はL3を超えません。ダウンロードした
ピースのデータは確認のためにメモリ上に置くだけで、確認後に破棄しています。各観測には、当方の時計
によるUTC時刻、その時刻が依拠した時計の測定（下記）、ピアのアドレス、ポート、ピアIDおよび
クライアント名、通信方式、通知・検証・不一致のピース番号、検証した文書のバイト数、当方のローカル
アドレス、ピアが送った場合は相手から見た当方のアドレス（BEP 10 "yourip"）、ソフトウェアの版、
照合の根拠（どのトレントのinfo辞書のどのファイルが文書であるか、その番号とバイト範囲、照合した
ピース数）のSHA-256、および通信記録のSHA-256を記録しています。通信記録は、接続で送受信した
すべてのメッセージを送受信のとおりに保存したもので、ピースのデータだけはそのSHA-256に置き換えて
います（流出文書を再配布しないため）。本バンドルは、照合の根拠（match-basis/）、それが示すinfo辞書
（info/）、および書面に記載した通信の通信記録（transcripts/、本附属書にも読める形で記載）を含みます。
時計：測定ごとに設定した全NTPサーバーへ同時に問い合わせ、各回答の時刻差が全回答の中央値から
50ミリ秒と往復時間の半分の範囲に収まるものを一致とみなし、過半数が一致した場合に限り、一致した
回答のうち往復時間が最短のものを採用します。各観測には、問い合わせたサーバー、回答数と一致数、
採用したサーバー、その階層（stratum）、時刻差、往復時間、ルート距離、測定時刻を記録しています。
調査の各巡回の開始時と終了時に測定し（15秒以内の測定は再度問い合わせずに用います）、その測定も
ログに記録しています。時刻の誤差の上限は
|時刻差|＋往復時間/2＋ルート距離とし、これが` + maxClock.String() + `を超える通信、または測定のない通信は、書面で
その旨を付記しています。記録した時刻は当方の時計の値であり、補正していません。
各観測は、記録した時点で追記専用のMerkleツリー（RFC 6962、SHA-256）の1つの葉となります。署名付き
チェックポイント（Ed25519、golang.org/x/mod/sumdb/noteの形式）がツリー全体の大きさとルートハッシュを
確定します。記録済みの観測を変更、削除または並べ替えるとルートハッシュが変わるため、署名の検証に
失敗せずに行うことはできません。
`
	}
	return `Observations were made by leakhunt ` + version + `, which takes part in the BitTorrent network
only as a downloader: it never uploads piece data and never announces itself as a source.
Before any peer was contacted, the torrent was matched against the catalogued copy of the leaked
document (see "Matched by" above); only the peers of a matched torrent were probed.
  L1 announced: a DHT node, tracker or peer (PEX) listed the address. Anyone can forge a listing,
     so L1 never names a computer in a letter.
  L2 connected: we opened a TCP or uTP connection to the address and port, and a BitTorrent
     handshake naming this torrent's infohash completed; the peer id and client name it sent are
     recorded.
  L3 claims: the peer's own bitfield or HAVE messages said it holds pieces that overlap the leaked
     document. This is the peer's statement; it was not checked by downloading.
  L4 served: pieces downloaded from this one peer alone, each hash-verified against the torrent's
     SHA-1 piece hash, hold at least min(document size, piece length) bytes of the document, and
     those document bytes were compared byte for byte with the catalogued copy and were identical.
     A verified piece at the edge of the document holding fewer document bytes is recorded but
     stays below L4.
  L5 full copy: every piece overlapping the document was downloaded from this one peer alone and
     checked in the same way.
A piece that fails its hash is recorded as failed, and that observation stays at L3 at most.
Downloaded piece data is held in memory only to be checked, then discarded. Each observation keeps
the UTC time from our clock, the clock measurement it relied on (below), the peer's address, port,
peer id and client, the transport, the pieces claimed, verified and failed, the number of document
bytes verified, our own local address and, when the peer sent it, our address as the peer saw it
(BEP 10 "yourip"), the software version, the SHA-256 of the match basis it relied on (which file
of which torrent's info dictionary is the document: its index, byte range, and the pieces compared),
and the SHA-256 of the wire transcript. The transcript keeps every message sent and received on the
connection, as on the wire, except piece data, which is replaced by its SHA-256 so that the leaked
data is not re-distributed. This bundle holds the match bases (match-basis/), the info dictionaries
they name (info/), and the transcripts of the communications listed in letters (transcripts/; they
are rendered in this annex too).
Clock: each measurement asks every configured NTP server at once. Answers whose offset lies within
50 ms plus half their round trip of the median of all answers agree; only when a majority agrees is
an offset used, that of the agreeing answer with the shortest round trip. Each observation records
the servers asked, how many answered and agreed, the server used, its stratum, the offset, round
trip and root distance, and when the measurement was made. The clock is measured at the start and
at the end of every probe round (a measurement less than 15 s old is used again rather than asking
the servers at once again), and those measurements are in the log too. A time's error bound is
|offset| + round trip / 2 + root distance; letters mark every communication whose bound exceeds
` + maxClock.String() + ` or that has no measurement. Times are our clock's, as recorded, not corrected.
Every observation becomes, when it is made, one leaf of an append-only Merkle tree (RFC 6962,
SHA-256). A signed checkpoint (Ed25519, golang.org/x/mod/sumdb/note format) commits to the size
and root hash of the whole tree. Changing, removing or reordering any recorded observation
changes the root hash, so it cannot be done without the signature failing.
`
}

// checkingText says how to check a bundle without trusting its sender.
func checkingText(lang string) string {
	if lang == "ja" {
		return `1. MANIFESTに本バンドルの全ファイルのSHA-256を記載しています（"sha256sum -c"等で確認できます）。
   MANIFEST.sigはMANIFESTのSHA-256に対する署名です。
2. "checkpoint"は署名付きノートで、ツリーの大きさとルートハッシュを記載しています。key.pubが公開鍵
   です。key.pubの鍵指紋が、送付者が別途公表した鍵指紋と一致することを確認してください。
3. 各記録の葉ハッシュはSHA-256(0x00 || 葉のバイト列)です。proofs/records.jsonlの当該記録の証明ハッシュと
   RFC 6962 第2.1.1節のとおり組み合わせると、記録番号についてチェックポイントのルートハッシュになります。
4. "previous-checkpoint"がある場合は、それ以前に署名したチェックポイントで、"consistency-proof"が
   そのツリーが現在のツリーの先頭部分であること（記録が書き換えられていないこと）を証明します。
5. match-basis/SHA256.jsonは、これを引用する記録について、トレントのinfo辞書（info/に収録。その
   SHA-1がinfohash）、文書であると証明したファイルの番号とバイト範囲、ピースの大きさを示します。
   検証済みピースはその範囲に重なり、記録が数える文書のバイト数を含まなければなりません（L4では
   min(文書の大きさ, ピースの大きさ)以上）。transcripts/の各通信記録は、その記録が示すSHA-256に
   一致しなければなりません。
6. "leakhunt verify --key 鍵指紋 DIR"がこれらすべてをオフラインで確認し、不一致のファイルを示します。
`
	}
	return `1. MANIFEST lists the SHA-256 of every file in this bundle; "sha256sum -c" style tools check it.
   MANIFEST.sig is a signature over MANIFEST's SHA-256.
2. "checkpoint" is a signed note: its text gives the tree size and root hash; key.pub is the public
   key. Check that key.pub's fingerprint is the one the sender published independently.
3. Each record's leaf hash is SHA-256(0x00 || leaf bytes). Combining it with the record's proof
   hashes in proofs/records.jsonl as in RFC 6962 section 2.1.1 must give the checkpoint's root
   hash for the record's index.
4. "previous-checkpoint", when present, is the checkpoint signed before this one, and
   "consistency-proof" proves that its tree is a prefix of this one: no record was rewritten since.
5. match-basis/SHA256.json names, for the records citing it, the torrent's info dictionary (in
   info/, whose SHA-1 is the infohash), the index and byte range of the file proven to be the
   document, and the piece length; verified pieces must lie in that range and hold the document
   bytes the record counts (for L4, at least min(document size, piece length)). Each transcript in
   transcripts/ must hash to the SHA-256 its record names.
6. "leakhunt verify --key FINGERPRINT DIR" does all of this offline and names any file that fails.
`
}

// clockRowNote is the mark a letter row gets when its time is not bounded
// within the limit (empty when it is).
func clockRowNote(lang string, r *LetterRow) string {
	if r.ClockOK {
		return ""
	}
	if r.ClockBound == "" {
		if lang == "ja" {
			return "［注意：当方の時計はNTPで測定できていません。時刻の誤差は不明］"
		}
		return "[caution: our clock was not measured against NTP; the time's error is not known]"
	}
	if lang == "ja" {
		return "［注意：時刻の誤差は最大" + r.ClockBound + "で、許容値" + r.ClockLimit + "を超えます］"
	}
	return "[caution: the time may be off by up to " + r.ClockBound + ", over the " + r.ClockLimit + " limit]"
}

// legacyNote qualifies L4/L5 for n records made before document bytes
// were counted: it says what those records observed ("" when n is 0).
func legacyNote(lang string, n int, rows bool) string {
	if n == 0 {
		return ""
	}
	if lang == "ja" {
		what := "観測"
		if rows {
			what = "この書面に記載した通信"
		}
		return fmt.Sprintf("注記：%sのうち%d件は、検証済みピース内の文書のバイト数を数えて原本と照合するようになる前の記録です。"+
			"これらについて確認した事実は、このアドレスのみからダウンロードした、流出文書に重なるピースがトレントのSHA-1ピースハッシュ値と一致したことです。", what, n)
	}
	what := "observations"
	if rows {
		what = "communications below"
	}
	return fmt.Sprintf("Note: %d of the %s were recorded before the document bytes in verified pieces were counted "+
		"and compared with the original; for those, what was observed is that pieces overlapping the document, "+
		"downloaded from this address alone, matched the torrent's SHA-1 piece hashes.", n, what)
}
