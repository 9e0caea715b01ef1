package report

import "github.com/leakhunt/leakhunt/evidence"

// levelText is the name and plain-language meaning of an evidence level
// in one language.
type levelText struct{ name, meaning string }

var levelTexts = map[string][evidence.NumLevels]levelText{
	"en": {
		{"listed", "The torrent or link was seen in an index, feed or DHT sample. This names no computer."},
		{"announced", "The address was listed by the DHT, a tracker or another peer. Anyone can forge such a listing; it proves nothing about the computer at the address."},
		{"connected", "A BitTorrent connection for this torrent was completed with the computer at this address and port: it answered as a participant in sharing this torrent."},
		{"claims", "The computer at this address stated, in its own BitTorrent messages, that it holds pieces of the leaked document and offers them to others. This is its statement; nothing was downloaded to check it."},
		{"served", "Pieces downloaded from this address alone, each matching the torrent's SHA-1 piece hash, held at least min(document size, piece length) bytes of the leaked document, and those bytes were compared byte for byte with the original and were identical: the computer at this address was distributing the document."},
		{"full copy", "Every piece of the torrent overlapping the leaked document was downloaded from this address alone and checked in the same way: the computer at this address held and distributed a complete copy."},
	},
	"ja": {
		{"掲載", "トレントまたはリンクがインデックス、フィード、DHT上で確認されました。特定のコンピュータを示すものではありません。"},
		{"告知", "DHT、トラッカーまたは他のピアがこのアドレスを掲載していました。この掲載は誰でも偽装できるため、当該アドレスのコンピュータについては何も証明しません。"},
		{"接続", "このアドレスとポートのコンピュータとの間で、当該トレントのBitTorrent接続が成立し、当該コンピュータはこのトレントの共有参加者として応答しました。"},
		{"保有通知", "このアドレスのコンピュータは、自らのBitTorrentメッセージにより、流出文書の断片を保有し他者に提供していると通知しました。これは当該コンピュータの申告であり、ダウンロードによる確認はしていません。"},
		{"配信", "このアドレスのみからダウンロードしたピースが、いずれもトレントのSHA-1ピースハッシュ値と一致し、流出文書のmin(文書の大きさ, ピースの大きさ)バイト以上を含み、その文書部分を原本と1バイトずつ照合して同一であることを確認しました。このアドレスのコンピュータが文書を配布していたことを示します。"},
		{"完全な複製", "流出文書に重なるトレントのすべてのピースをこのアドレスのみからダウンロードし、同じ方法で確認しました。このアドレスのコンピュータが完全な複製を保有し配布していたことを示します。"},
	},
}

// levelName is "L4 served" in the language.
func levelName(lang string, l evidence.Level) string {
	l = min(max(l, evidence.L0Listed), evidence.L5FullCopy)
	return l.String() + " " + levelTexts[lang][l].name
}

func levelMeaning(lang string, l evidence.Level) string {
	l = min(max(l, evidence.L0Listed), evidence.L5FullCopy)
	return levelTexts[lang][l].meaning
}
