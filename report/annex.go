package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sync/errgroup"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/evidence/ed2k"
	"github.com/leakhunt/leakhunt/internal/display"
	"github.com/leakhunt/leakhunt/store"
)

// annexBatch bounds the records read (and held) at once for one annex.
const annexBatch = 1024

// annexJob is one peer's annex, written by a worker; its letter rows are
// buffered until every earlier peer's are in the rows spool.
type annexJob struct {
	p      *peerOut
	rows   bytes.Buffer
	nrows  int
	err    error
	inline bool // too many records to buffer rows for: written by the committer
	done   chan struct{}
}

// inlineRecords is the history size above which a peer's rows are not
// buffered but streamed by the committer.
const inlineRecords = 4096

// writeAnnexes writes, per selected peer, its annex (every record of the
// peer in the signed tree, decoded once) and its letter rows (the records
// at or above the report's level) to the rows spool. Peers are handled by
// one worker per CPU; rows are committed in peer order, which is letter
// order.
func (r *run) writeAnnexes(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	jobs := make(chan *annexJob, workers)
	order := make(chan *annexJob, 2*workers)
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				if err := gctx.Err(); err != nil {
					j.err = err
				} else {
					j.nrows, j.err = r.writeAnnex(&j.rows, j.p)
				}
				close(j.done)
			}
			return nil
		})
	}
	g.Go(func() error { // feeder: every job sent to order was taken by a worker or is inline
		defer close(order)
		defer close(jobs)
		for _, p := range r.peers {
			j := &annexJob{p: p, done: make(chan struct{})}
			if p.agg.Observations > inlineRecords {
				j.inline = true
				close(j.done)
			} else {
				select {
				case jobs <- j:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			select {
			case order <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	spool := &countingWriter{w: r.rows}
	var firstErr error
	for j := range order {
		<-j.done
		if firstErr != nil {
			continue
		}
		j.p.rowsOff = spool.n
		if j.inline {
			j.nrows, j.err = r.writeAnnex(spool, j.p)
		} else if j.err == nil {
			_, j.err = spool.Write(j.rows.Bytes())
		}
		if j.err != nil {
			firstErr = fmt.Errorf("annex for %s: %w", j.p.id(), j.err)
			cancel()
			continue
		}
		j.p.rowsLen, j.p.rowCount = spool.n-j.p.rowsOff, j.nrows
	}
	if err := g.Wait(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// countingWriter counts what it writes.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// writeAnnex writes one peer's annex and its letter rows (see rows.go)
// to rows; it returns how many rows. The records come in log order; when
// more than one sensor's log holds the peer's records, in time order
// across them (equal times in log order, the reporting sensor's first).
func (r *run) writeAnnex(rows io.Writer, p *peerOut) (int, error) {
	k := p.agg.key
	var refs []recRef
	logsUsed := 0
	for log := 0; log <= len(r.sensors); log++ {
		view, size := r.logView(log)
		all, err := view.SubjectObservations(k.subject(), k.IP, k.Port)
		if err != nil {
			return 0, err
		}
		before := len(refs)
		for _, n := range all {
			if n < size {
				refs = append(refs, recRef{log, n})
			}
		}
		if len(refs) > before {
			logsUsed++
		}
	}
	if len(refs) != p.agg.Observations {
		return 0, fmt.Errorf("the store's peer index lists %d records, the logs hold %d: %w (run 'leakhunt verify')", len(refs), p.agg.Observations, store.ErrCorrupt)
	}
	if logsUsed > 1 {
		if err := r.sortByTime(refs); err != nil {
			return 0, err
		}
	}
	aw, err := r.b.create(p.annexPath())
	if err != nil {
		return 0, err
	}
	defer aw.abort()
	r.annexHeader(aw, p)
	tws := map[int]*lazyFile{}
	defer func() {
		for _, tw := range tws {
			tw.abort()
		}
	}()
	nrows := 0
	var line []byte
	obs := make([]evidence.Observation, annexBatch)
	for start := 0; start < len(refs); start += annexBatch {
		batch := refs[start:min(start+annexBatch, len(refs))]
		leaves, err := r.leavesOf(batch)
		if err != nil {
			return nrows, err
		}
		// The redacted transcripts of the rows, read in one transaction.
		var sums []string
		for i, ref := range batch {
			o := &obs[i]
			*o = evidence.Observation{}
			if err := evidence.DecodeLeaf(leaves[i], o); err != nil || o.Subject() != k.subject() || o.IP != k.IP || o.Port != k.Port {
				return nrows, fmt.Errorf("log record %d%s does not belong to this peer: %w", ref.n, r.logSuffix(ref.log), store.ErrCorrupt)
			}
			if r.isRow(o) && o.TranscriptSHA256 != "" {
				sums = append(sums, o.TranscriptSHA256)
			}
			if o.Basis != "" && o.Net() == evidence.NetworkBitTorrent {
				r.addBasis(o.Basis, o.InfoHash)
			}
		}
		transcripts, err := r.s.Blobs(sums)
		if err != nil {
			return nrows, err
		}
		for i, ref := range batch {
			o := &obs[i]
			r.annexRecord(aw, ref.log, ref.n, leaves[i], o)
			if !r.isRow(o) {
				continue
			}
			if tr, ok := transcripts[o.TranscriptSHA256]; ok {
				tw := tws[ref.log]
				if tw == nil {
					tw = &lazyFile{b: r.b, rel: r.transcriptsPath(ref.log, p)}
					tws[ref.log] = tw
				}
				r.annexTranscript(aw, tr, o.Net(), tw.rel)
				if err := tw.writeLine(appendTranscriptLine(line[:0], ref.n, tr)); err != nil {
					return nrows, err
				}
			}
			bound, known, ok := clockWithin(o.Clock, r.opt.MaxClockError)
			nrows++
			row := r.letterRow(nrows, ref, o, bound, known, ok)
			line = appendRow(line[:0], &row)
			if _, err := rows.Write(line); err != nil {
				return nrows, err
			}
		}
	}
	for _, tw := range tws {
		if err := tw.close(); err != nil {
			return nrows, err
		}
	}
	p.bundled = int64(len(refs))
	return nrows, aw.Close()
}

// logView is a log (see [recRef]) and the size the report covers of it.
func (r *run) logView(log int) (*store.Store, int64) {
	if log == ownLog {
		return r.s, r.cp.Size
	}
	return r.sensors[log-1].view, r.sensors[log-1].cp.Size
}

// transcriptsPath is the bundle file with a peer's transcripts of a log.
func (r *run) transcriptsPath(log int, p *peerOut) string {
	if log == ownLog {
		return p.transcriptsPath()
	}
	return r.sensors[log-1].dir() + p.transcriptsPath()
}

// leavesOf reads the leaves of refs, each from its log.
func (r *run) leavesOf(refs []recRef) ([][]byte, error) {
	out := make([][]byte, len(refs))
	byLog := map[int][]int{} // log → positions in refs
	for i, ref := range refs {
		byLog[ref.log] = append(byLog[ref.log], i)
	}
	for log, pos := range byLog {
		ns := make([]int64, len(pos))
		for j, i := range pos {
			ns[j] = refs[i].n
		}
		view, _ := r.logView(log)
		leaves, err := view.Leaves(ns)
		if err != nil {
			return nil, err
		}
		for j, i := range pos {
			out[i] = leaves[j]
		}
	}
	return out, nil
}

// sortByTime orders refs by their records' times, equal times in log
// order (stable; refs come in log order).
func (r *run) sortByTime(refs []recRef) error {
	type timed struct {
		ref recRef
		t   int64
	}
	keyed := make([]timed, 0, len(refs))
	for start := 0; start < len(refs); start += annexBatch {
		batch := refs[start:min(start+annexBatch, len(refs))]
		leaves, err := r.leavesOf(batch)
		if err != nil {
			return err
		}
		for i, ref := range batch {
			var o evidence.Observation
			if err := evidence.DecodeLeaf(leaves[i], &o); err != nil {
				return fmt.Errorf("log record %d%s: %w: run 'leakhunt verify'", ref.n, r.logSuffix(ref.log), store.ErrCorrupt)
			}
			keyed = append(keyed, timed{ref, o.Time.UnixNano()})
		}
	}
	slices.SortStableFunc(keyed, func(a, b timed) int { return cmp.Compare(a.t, b.t) })
	for i, k := range keyed {
		refs[i] = k.ref
	}
	return nil
}

// logName names a log in letters and annexes: in a shared store, the
// sensor whose log it is; a bbolt store's one log goes unnamed.
func (r *run) logName(log int) string {
	switch {
	case log != ownLog:
		return r.sensors[log-1].name
	case r.s.Shared():
		return r.s.Sensor().Name
	}
	return ""
}

// logSuffix names a log after a record index in an error: nothing for
// the reporting sensor's.
func (r *run) logSuffix(log int) string {
	if log == ownLog {
		return ""
	}
	return " of sensor " + field(r.sensors[log-1].name)
}

// proofsFile is the bundle file with the inclusion proofs of a log's
// records.
func (r *run) proofsFile(log int) string {
	if log == ownLog {
		return ProofsName
	}
	return r.sensors[log-1].dir() + "records.jsonl"
}

// isRow reports whether a record is a communication the letters list: at
// or above the report's level (and, with RequireClock, with a clock within
// the limit).
func (r *run) isRow(o *evidence.Observation) bool {
	_, _, ok := clockWithin(o.Clock, r.opt.MaxClockError)
	return o.Level >= r.opt.MinLevel && (ok || !r.opt.RequireClock)
}

// maxRenderedTranscript bounds the lines of one transcript in an annex;
// the whole transcript is in the peer's transcripts file.
const maxRenderedTranscript = 200

// annexTranscript writes a record's redacted transcript, rendered; where
// is the bundle file with its bytes.
func (r *run) annexTranscript(w io.Writer, tr []byte, network, where string) {
	title := "Wire transcript (redacted: piece data replaced by its SHA-256; the bytes are in " + where + ")"
	if r.opt.Lang == "ja" {
		title = "通信記録（ピースのデータはSHA-256に置換。バイト列は" + where + "に収録）"
	}
	render := evidence.RenderTranscript
	if network == evidence.NetworkED2K {
		title = "Wire transcript (redacted: file data replaced by its SHA-256; the bytes are in " + where + ")"
		if r.opt.Lang == "ja" {
			title = "通信記録（ファイルのデータはSHA-256に置換。バイト列は" + where + "に収録）"
		}
		render = ed2k.RenderTranscript
	}
	fmt.Fprintf(w, "  %s:\n", title)
	lines, err := render(tr, maxRenderedTranscript)
	for _, l := range lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
	if err != nil {
		fmt.Fprintf(w, "    (%v)\n", err)
	}
}

// docBytes is how many bytes of the document the record's verified
// pieces held, as compared with the catalogued copy; records made before
// that count was kept say so.
func docBytes(lang string, o *evidence.Observation) string {
	switch {
	case o.DocBytesVerified > 0:
		return byteCount(lang, o.DocBytesVerified)
	case len(o.PiecesVerified) == 0:
		return byteCount(lang, 0)
	case lang == "ja":
		return "バイト数の記録なし"
	}
	return "bytes not recorded"
}

// letterRow is record ref as a row of a letter.
func (r *run) letterRow(i int, ref recRef, o *evidence.Observation, bound time.Duration, known, ok bool) LetterRow {
	lang := r.opt.Lang
	u, l := r.fmtTime(o.Time)
	row := LetterRow{N: i, Record: ref.n, Log: r.logName(ref.log), TimeUTC: u, TimeLocal: l, IP: field(o.IP), Port: o.Port, Local: field(o.ListenAddr),
		Transport: field(o.Transport) + netSuffix(lang, o.Net()), InfoHash: field(o.InfoHash.String()), Level: levelName(lang, o.Level),
		Pieces: PieceList(lang, o.PiecesVerified, 32), Failed: PieceList(lang, o.PiecesFailed, 32),
		DocBytes: docBytes(lang, o), ClockOK: ok, ClockLimit: r.opt.MaxClockError.String()}
	if o.Net() == evidence.NetworkED2K {
		row.InfoHash, row.Pieces = "ed2k:"+o.ED2K.String(), BlockText(lang, o.BlockVerified)
	}
	switch {
	case o.YourIP != "":
		row.SeenAs = field(o.YourIP)
	case lang == "ja":
		row.SeenAs = "（相手から通知なし）"
	default:
		row.SeenAs = "(not reported by the peer)"
	}
	if row.Local == "" {
		row.Local = orUnknown("", lang)
	}
	row.Sensor = sensorText(o)
	if known {
		row.ClockBound = bound.Round(time.Millisecond).String()
	}
	row.ClockNote = clockRowNote(lang, &row)
	if lang == "ja" {
		row.Law = lawJA(o.Time, r.opt.Kind == KindDisclosure)
	}
	return row
}

func (r *run) fmtTime(t time.Time) (utc, local string) {
	utc = t.UTC().Format("2006-01-02 15:04:05.000 UTC")
	local = t.In(r.loc).Format("2006-01-02 15:04:05.000 MST (-07:00)")
	return
}

// annexLabels are an annex's words in one language.
type annexLabels struct {
	title, intro, checkpoint, method, checking, records                      string
	peer, network, infohash, torrent, file, matched, doc, highest, proves    string
	observations, rows, first, last, verified, failed, peerID, client, clock string
	log, treeSize, root, signer, fingerprint, port, unknownNet, noISP        string
	p2p, ed2k, block                                                         string
}

var annexText = map[string]annexLabels{
	"en": {
		title:      "DISCLOSURE ANNEX",
		intro:      "This annex lists every observation of one peer recorded in the evidence log, exactly as\nrecorded. Each record's inclusion proof, its line in proofs/records.jsonl (for a record of another\nsensor, in that sensor's sensors/NAME/records.jsonl), shows that it is part of the signed log of\nthe sensor that made it. Section METHOD says how the observations were made; section CHECKING says how to\nconfirm them without trusting the sender.\n",
		checkpoint: "SIGNED CHECKPOINT",
		method:     "METHOD",
		checking:   "CHECKING",
		records:    "RECORDS",
		peer:       "Peer address", network: "Network", infohash: "Torrent infohash", torrent: "Torrent name",
		file: "File in torrent", matched: "Matched by", doc: "Leaked document", highest: "Highest level", proves: "What it proves",
		observations: "Observations", rows: "Listed in letters", first: "First seen", last: "Last seen",
		verified: "Pieces verified", failed: "Pieces failed", peerID: "Peer id (hex)", client: "Client", clock: "Clock",
		log: "Log", treeSize: "Tree size", root: "Root hash (base64)", signer: "Signer", fingerprint: "Key fingerprint",
		port: "port", unknownNet: "not attributed (no ASN database, or the address is not in it)", noISP: ": no ISP; not looked up",
		p2p: "P2P network", ed2k: "ed2k hash of the file", block: "Block verified",
	},
	"ja": {
		title:      "開示資料（別紙）",
		intro:      "本別紙は、証拠ログに記録された1つのピアのすべての観測を、記録どおりに掲載するものです。各記録の\n包含証明（proofs/records.jsonlの当該行。他のセンサーの記録はsensors/名前/records.jsonlの当該行）により、\n記録したセンサーの署名済みログの一部であることを確認できます。観測の\n方法は「方法」に、送付者を信頼せずに確認する手順は「検証方法」に記載しています。\n",
		checkpoint: "署名付きチェックポイント",
		method:     "方法",
		checking:   "検証方法",
		records:    "記録",
		peer:       "ピアのアドレス", network: "ネットワーク", infohash: "トレントのinfohash", torrent: "トレント名",
		file: "トレント内ファイル", matched: "照合方法", doc: "流出文書", highest: "最高の証拠レベル", proves: "示す事実",
		observations: "観測数", rows: "書面に記載した通信", first: "初観測", last: "最終観測",
		verified: "検証済みピース", failed: "不一致ピース", peerID: "ピアID（16進）", client: "クライアント", clock: "時計",
		log: "ログ", treeSize: "ツリーの大きさ", root: "ルートハッシュ（base64）", signer: "署名者", fingerprint: "鍵指紋",
		port: "ポート", unknownNet: "特定なし（ASNデータベースなし、または該当なし）", noISP: "：ISPなし、照会していません",
		p2p: "P2Pネットワーク", ed2k: "ファイルのed2kハッシュ値", block: "検証済みブロック",
	},
}

// annexHeader writes the peer's summary, the checkpoint and the method.
func (r *run) annexHeader(w io.Writer, p *peerOut) {
	lang := r.opt.Lang
	t := annexText[lang]
	a := p.agg
	head := t.title + " " + p.id()
	fmt.Fprintf(w, "%s\n%s\n\n%s\n", head, strings.Repeat("=", len(head)), t.intro)
	kv := func(k, v string) { fmt.Fprintf(w, "%s: %s\n", k, v) }
	kv(t.peer, fmt.Sprintf("%s %s %d", field(a.key.IP), t.port, a.key.Port))
	kv(t.network, r.networkLine(p))
	kv(t.p2p, networkName(a.key.Network))
	if a.key.Network == evidence.NetworkED2K {
		kv(t.ed2k, field(a.key.ED2K.String()))
	} else {
		kv(t.infohash, field(a.key.InfoHash.String()))
		kv(t.torrent, quoteField(p.torrent))
	}
	for _, f := range p.files {
		kv(t.file, quoteField(f))
	}
	for _, m := range p.methods {
		kv(t.matched, m)
	}
	kv(t.doc, quoteField(p.docName)+docHash(a.Document))
	kv(t.highest, levelName(lang, a.Level))
	kv(t.proves, levelMeaningNet(lang, a.key.Network, a.Level))
	if note := legacyNote(lang, a.legacy, false); note != "" {
		kv(t.proves, note)
	}
	var lv []string
	for l, c := range a.levelCount {
		if c > 0 {
			lv = append(lv, fmt.Sprintf("L%d: %d", l, c))
		}
	}
	kv(t.observations, fmt.Sprintf("%d (%s)", a.Observations, strings.Join(lv, ", ")))
	if lang == "ja" {
		kv(t.rows, fmt.Sprintf("%d件（%s以上%s）", a.rows, levelName(lang, r.opt.MinLevel), map[bool]string{true: "、時計の誤差が許容値内のもの", false: ""}[r.opt.RequireClock]))
	} else {
		kv(t.rows, fmt.Sprintf("%d communication(s) at %s or above%s, one row each", a.rows, levelName(lang, r.opt.MinLevel), map[bool]string{true: " with the clock within the limit", false: ""}[r.opt.RequireClock]))
	}
	fu, fl := r.fmtTime(a.FirstSeen)
	lu, ll := r.fmtTime(a.LastSeen)
	kv(t.first, fu+" = "+fl)
	kv(t.last, lu+" = "+ll)
	if a.key.Network == evidence.NetworkED2K {
		kv(t.block, BlockText(lang, a.BlockVerified))
	} else {
		kv(t.verified, PieceList(lang, a.PiecesVerified, 64))
	}
	kv(t.failed, PieceList(lang, a.PiecesFailed, 64))
	kv(t.peerID, field(a.PeerID))
	kv(t.client, quoteField(a.Client))
	kv(t.clock, clockLine(lang, a, r.opt.MaxClockError))
	fmt.Fprintf(w, "\n%s\n%s\n", t.checkpoint, strings.Repeat("-", len(t.checkpoint)))
	kv(t.log, "leakhunt evidence log (RFC 6962 Merkle tree, SHA-256)")
	kv(t.treeSize, strconv.FormatInt(r.cp.Size, 10))
	kv(t.root, r.rootHash())
	kv(t.signer, r.keys.Verifier.Name()+" (key.pub, checkpoint)")
	kv(t.fingerprint, r.keys.Fingerprint)
	checking := r.checking(lang, a.key.Network == evidence.NetworkED2K)
	fmt.Fprintf(w, "\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n", t.method, strings.Repeat("-", len(t.method)),
		methodTextNet(lang, a.key.Network, r.opt.Version, r.opt.MaxClockError),
		t.checking, strings.Repeat("-", len(t.checking)), checking, t.records, strings.Repeat("-", len(t.records)))
}

func (r *run) networkLine(p *peerOut) string {
	a := p.attr
	t := annexText[r.opt.Lang]
	if a.Special != "" {
		return a.Special + t.noISP
	}
	parts := []string{}
	if a.ASN != 0 {
		parts = append(parts, fmt.Sprintf("AS%d", a.ASN))
	}
	if a.Org != "" {
		parts = append(parts, quoteField(a.Org))
	}
	if a.Country != "" {
		parts = append(parts, field(a.Country))
	}
	if a.Network != "" {
		parts = append(parts, a.Network)
	}
	if len(parts) == 0 {
		return t.unknownNet
	}
	return strings.Join(parts, ", ")
}

// recordLabels are an annex record's field names.
var recordLabels = map[string][]string{
	"en": {"time (UTC)", "time (local)", "clock", "level", "source", "peer", "transport", "peer id (hex)", "client", "infohash",
		"document sha256", "pieces claimed", "pieces verified", "document bytes verified", "pieces failed", "error", "detail",
		"our local address", "our address as the peer saw it", "software", "transcript sha256",
		"leaf hash (base64, SHA-256 of 0x00 and the leaf)", "leaf (%d bytes as recorded; characters that could hide text are shown as \\u escapes)",
		"inclusion proof: the line of record %d in %s",
		"transports tried", "stopped because", "ended (UTC)", "match basis sha256 (" + basisDir + ")",
		"P2P network", "ed2k hash", "parts claimed", "block requested", "block verified",
		"sensor (the hunter that made it, and its public address as its operator gave it)"},
	"ja": {"時刻（UTC）", "時刻（現地）", "時計", "証拠レベル", "情報源", "ピア", "通信方式", "ピアID（16進）", "クライアント", "infohash",
		"文書のSHA-256", "保有通知ピース", "検証済みピース", "検証した文書のバイト数", "不一致ピース", "エラー", "詳細",
		"当方のローカルアドレス", "相手から見た当方のアドレス", "ソフトウェア", "通信記録のSHA-256",
		"葉ハッシュ（base64、0x00と葉のSHA-256）", "葉（記録どおりの%dバイト。文字を隠しうる文字は\\uエスケープで表示）",
		"包含証明：%[2]sの記録%[1]dの行",
		"試した通信方式", "停止の理由", "終了時刻（UTC）", "照合の根拠のSHA-256（" + basisDir + "）",
		"P2Pネットワーク", "ed2kハッシュ値", "保有通知パート", "要求したブロック", "検証済みブロック",
		"センサー（観測した探索機と、その運用者が示した公開アドレス）"},
}

// sensorText names the sensor that made o and its public address, as
// recorded; empty when o names none.
func sensorText(o *evidence.Observation) string {
	if o.Sensor == "" {
		return ""
	}
	if o.SensorAddr == "" {
		return field(o.Sensor)
	}
	return field(o.Sensor) + " (" + field(o.SensorAddr) + ")"
}

// annexRecord writes one record of a log (see [recRef]): its decoded
// fields and its leaf.
func (r *run) annexRecord(w io.Writer, log int, n int64, leaf []byte, o *evidence.Observation) {
	lang := r.opt.Lang
	lb := recordLabels[lang]
	t := annexText[lang]
	name := r.logName(log)
	switch {
	case name == "" && lang == "ja":
		fmt.Fprintf(w, "\n記録 %d\n", n)
	case name == "":
		fmt.Fprintf(w, "\nRecord %d\n", n)
	case lang == "ja":
		fmt.Fprintf(w, "\n記録 %d（センサー%sのログ）\n", n, field(name))
	default:
		fmt.Fprintf(w, "\nRecord %d of sensor %s's log\n", n, field(name))
	}
	kv := func(i int, v string) {
		if v != "" {
			io.WriteString(w, "  ")
			io.WriteString(w, lb[i])
			io.WriteString(w, ": ")
			io.WriteString(w, v)
			io.WriteString(w, "\n")
		}
	}
	u, l := r.fmtTime(o.Time)
	kv(0, u)
	kv(1, l)
	kv(2, clockText(lang, o))
	kv(3, levelName(lang, o.Level))
	kv(4, field(o.Source))
	kv(5, field(o.IP)+" "+t.port+" "+strconv.Itoa(o.Port))
	kv(6, field(o.Transport))
	if len(o.Tried) > 1 {
		kv(24, field(strings.Join(o.Tried, ", ")))
	}
	kv(7, field(o.PeerID))
	kv(8, quoteIf(o.Client))
	kv(28, networkName(o.Network))
	if o.Net() == evidence.NetworkED2K {
		kv(29, field(o.ED2K.String()))
	} else {
		kv(9, field(o.InfoHash.String()))
	}
	kv(10, field(o.Document))
	if len(o.PartsClaimed) > 0 {
		kv(30, partList(lang, o.PartsClaimed, max(o.ClaimedCount, len(o.PartsClaimed))))
	}
	if o.BlockRequested != nil {
		kv(31, BlockText(lang, o.BlockRequested))
	}
	if o.BlockVerified != nil {
		kv(32, BlockText(lang, o.BlockVerified))
		kv(13, docBytes(lang, o))
	}
	if len(o.PiecesClaimed) > 0 || (o.ClaimedCount > 0 && len(o.PartsClaimed) == 0) {
		kv(11, fmt.Sprintf("%d: %s", max(o.ClaimedCount, len(o.PiecesClaimed)), PieceList(lang, o.PiecesClaimed, 32)))
	}
	if len(o.PiecesVerified) > 0 {
		kv(12, PieceList(lang, o.PiecesVerified, 1024))
		kv(13, docBytes(lang, o))
	}
	if len(o.PiecesFailed) > 0 {
		kv(14, PieceList(lang, o.PiecesFailed, 1024))
	}
	kv(25, field(o.Reason))
	if !o.Ended.IsZero() {
		u, _ := r.fmtTime(o.Ended)
		kv(26, u)
	}
	kv(15, quoteIf(o.Error))
	kv(16, quoteIf(o.Detail))
	kv(17, field(o.ListenAddr))
	kv(18, field(o.YourIP))
	kv(19, field(o.Version))
	kv(33, sensorText(o))
	kv(27, field(o.Basis))
	kv(20, field(o.TranscriptSHA256))
	rh := tlog.RecordHash(leaf)
	kv(21, base64.StdEncoding.EncodeToString(rh[:]))
	fmt.Fprintf(w, "  "+lb[22]+":\n    %s\n", len(leaf), display.JSON(leaf))
	fmt.Fprintf(w, "  "+lb[23]+"\n", n, r.proofsFile(log))
}

// clockText describes the clock measurement a record relied on.
func clockText(lang string, o *evidence.Observation) string {
	m := o.Clock
	if m == nil {
		if _, err := time.ParseDuration(o.ClockOffset); err == nil {
			if lang == "ja" {
				return "時刻差 " + o.ClockOffset + "（測定の詳細は記録なし。誤差の上限は不明）"
			}
			return "offset " + o.ClockOffset + " (no details of the measurement recorded; error bound not known)"
		}
		if lang == "ja" {
			return "測定なし（時刻は当方の時計の値）"
		}
		return "not measured (the time is our clock's)"
	}
	if !m.Synchronized() {
		if lang == "ja" {
			return fmt.Sprintf("測定失敗（%s、問い合わせ先 %s、%s）：時刻は当方の時計の値", field(m.Error), strings.Join(m.Asked, ", "), m.MeasuredAt.Format(time.RFC3339))
		}
		return fmt.Sprintf("no offset measured (%s; asked %s at %s): the time is our clock's", field(m.Error), strings.Join(m.Asked, ", "), m.MeasuredAt.Format(time.RFC3339))
	}
	bound, _ := m.ErrorBound()
	ago := o.Time.Sub(m.MeasuredAt).Round(time.Millisecond)
	if lang == "ja" {
		return fmt.Sprintf("時刻差 %s、%s（stratum %d、往復 %s、ルート距離 %s）、%d台中%d台が回答し%d台が一致、測定 %s（%s前）、誤差の上限 %s",
			m.Offset, field(m.Server), m.Stratum, m.RTT, m.RootDistance, len(m.Asked), m.Answered, m.Agreeing,
			m.MeasuredAt.Format("2006-01-02 15:04:05.000 UTC"), ago, bound.Round(time.Millisecond))
	}
	return fmt.Sprintf("offset %s against %s (stratum %d, round trip %s, root distance %s), %d of %d servers answered, %d agreed; measured %s (%s before); error bound %s",
		m.Offset, field(m.Server), m.Stratum, m.RTT, m.RootDistance, m.Answered, len(m.Asked), m.Agreeing,
		m.MeasuredAt.Format("2006-01-02 15:04:05.000 UTC"), ago, bound.Round(time.Millisecond))
}

func quoteField(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return "\"" + field(s) + "\""
}

func docHash(sha string) string {
	if sha == "" {
		return ""
	}
	return " (sha256 " + field(sha) + ")"
}

// clockLine summarizes a peer's clock measurements.
func clockLine(lang string, a *peerAgg, limit time.Duration) string {
	if lang == "ja" {
		s := fmt.Sprintf("時刻差を測定した観測 %d件", a.offsetsKnown)
		if a.offsetsKnown > 0 {
			s += fmt.Sprintf("（最大 %s）", a.maxOffset)
		}
		if a.unsynced > 0 {
			s += fmt.Sprintf("、時計が同期していなかった観測 %d件", a.unsynced)
		}
		if a.rowsClockOver > 0 {
			s += fmt.Sprintf("、書面に記載した通信のうち誤差が%sを超えるか不明のもの %d件", limit, a.rowsClockOver)
		}
		return s
	}
	s := fmt.Sprintf("%d observations with a measured NTP offset", a.offsetsKnown)
	if a.offsetsKnown > 0 {
		s += fmt.Sprintf(" (largest %s)", a.maxOffset)
	}
	if a.unsynced > 0 {
		s += fmt.Sprintf("; %d with the clock unsynchronized", a.unsynced)
	}
	if a.rowsClockOver > 0 {
		s += fmt.Sprintf("; %d listed communications with an error bound over %s or not known", a.rowsClockOver, limit)
	}
	return s
}

// matchMethod says how a match proved that the torrent carries the document.
func matchMethod(lang string, m store.Match) string {
	en := map[string]string{
		"v1-pieces": fmt.Sprintf("v1-pieces: %d of %d pieces lying inside the document, hashed with SHA-1 from the catalogued copy at the file's offset, equal the torrent's piece hashes", m.PiecesMatched, m.PiecesChecked),
		"v2-root":   "v2-root: the file's BEP 52 pieces root equals the SHA-256 merkle root computed from the catalogued copy",
		"btih":      "btih: the infohash of a torrent whose info dictionary was proven earlier to carry the document",
	}
	ja := map[string]string{
		"v1-pieces": fmt.Sprintf("v1-pieces：文書の範囲内にある%d個のピースのうち%d個について、目録の写しからファイルの位置でSHA-1を計算した値がトレントのピースハッシュ値と一致", m.PiecesChecked, m.PiecesMatched),
		"v2-root":   "v2-root：ファイルのBEP 52 pieces rootが、目録の写しから計算したSHA-256 Merkleルートと一致",
		"btih":      "btih：info辞書により文書を含むことを先に証明したトレントのinfohash",
	}
	t := en
	if lang == "ja" {
		t = ja
	}
	if s, ok := t[m.Method]; ok {
		return s
	}
	return field(m.Method)
}

// readme is README.txt.
func (r *run) readme() string {
	lang := r.opt.Lang
	if lang == "ja" {
		return fmt.Sprintf(`leakhunt 証拠バンドル
=====================

対象のログ記録：%d件（署名付きチェックポイント：ツリーの大きさ %d、ルートハッシュ %s）
署名者：%s
鍵指紋：%s（送付者が別途公表した鍵指紋と一致することを確認してください）
記載したピア：証拠レベルL%d以上 %d件、書面 %d通

内容
  letters/isp-NNN.txt   通報先ごとの書面（%s）
  annex/peer-NNNNN.txt  ピアごとの全観測履歴と方法
  proofs/records.jsonl  記録ごとのピア、ログ番号、葉（base64、記録どおりのバイト列）、包含証明
  peers.csv, evidence.json, index.html, charts/*.svg  要約
  checkpoint, key.pub   署名付きチェックポイントと公開鍵
  previous-checkpoint, consistency-proof  前回のチェックポイントと、そこからの一貫性証明（ある場合）
  MANIFEST, MANIFEST.sig  他の全ファイルのSHA-256と、その署名
%s
方法
%s
検証方法
%s`, r.cp.Size, r.cp.Size, r.rootHash(), r.keys.Verifier.Name(), r.keys.Fingerprint, r.opt.MinLevel, len(r.peers), len(r.groups),
			map[string]string{KindTakedown: "送信防止措置依頼書", KindDisclosure: "発信者情報開示請求書"}[r.opt.Kind],
			r.sensorsText(lang), r.bundleMethod(lang), r.bundleChecking(lang))
	}
	return fmt.Sprintf(`leakhunt evidence bundle
========================

Log records covered: %d (signed checkpoint: tree size %d, root hash %s)
Signer: %s
Key fingerprint: %s (check it against the fingerprint the sender published)
Peers named: %d at level L%d or above; letters: %d

Contents
  letters/isp-NNN.txt   one %s per abuse contact
  annex/peer-NNNNN.txt  per peer: complete observation history and method
  proofs/records.jsonl  per record: peer, log index, leaf (base64, exact bytes), proof hashes
  peers.csv, evidence.json, index.html, charts/*.svg  summaries
  checkpoint, key.pub   the signed checkpoint and the public key
  previous-checkpoint, consistency-proof  the checkpoint signed before, and the proof that this
                        log extends it (when there was one)
  MANIFEST, MANIFEST.sig  sha256 of every other file, and its signature
%s
Method
%s
Checking
%s`, r.cp.Size, r.cp.Size, r.rootHash(), r.keys.Verifier.Name(), r.keys.Fingerprint, len(r.peers), r.opt.MinLevel, len(r.groups),
		map[string]string{KindTakedown: "takedown notice", KindDisclosure: "disclosure request"}[r.opt.Kind],
		r.sensorsText(lang), r.bundleMethod(lang), r.bundleChecking(lang))
}

// sensorsText describes, in the bundle's README, the other sensors' logs
// the report covers; empty when there are none.
func (r *run) sensorsText(lang string) string {
	if len(r.sensors) == 0 {
		return ""
	}
	var b strings.Builder
	if lang == "ja" {
		fmt.Fprintf(&b, "\n他のセンサーのログ（各センサーが署名した最新のチェックポイントまで。書面と別紙の行は、記録したセンサーとそのログ番号を示す）\n")
		for _, sl := range r.sensors {
			fmt.Fprintf(&b, "  %s  センサー%s：ログ記録%d件（checkpoint、key.pub、records.jsonl。行に通信記録があればtranscripts/）\n", sl.dir(), field(sl.name), sl.cp.Size)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "\nOther sensors' logs (each up to the latest checkpoint that sensor signed; letter rows and annex\nrecords name the sensor that made them and their index in its log)\n")
	for _, sl := range r.sensors {
		fmt.Fprintf(&b, "  %s  sensor %s: %d log records (checkpoint, key.pub, records.jsonl; transcripts/ when its rows have them)\n", sl.dir(), field(sl.name), sl.cp.Size)
	}
	return b.String()
}

// quoteIf is quoteField, or "" (the line is left out) for an empty value.
func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return quoteField(s)
}
