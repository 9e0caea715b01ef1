package report

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// A report from a store several sensors share covers, besides the
// reporting sensor's own log, the log of every other sensor as that
// sensor signed it: its records up to its latest signed checkpoint are
// verified before anything is signed, count in the peers' levels, and are
// rows of the letters and records of the annexes, each naming its sensor
// and its index in that sensor's log. The bundle carries them under
// sensors/NAME/: that checkpoint (checkpoint, as stored), the public key
// that signed it (key.pub), every record up to it with an inclusion proof
// (records.jsonl, lines as in proofs/records.jsonl, naming the annex of
// a reported peer), and the transcripts of its letter rows
// (transcripts/). The reporting sensor cannot sign for another: records
// made after another sensor's latest checkpoint are left out, and a
// sensor that never signed one has no section.

// sensorsDir holds the other sensors' sections.
const sensorsDir = "sensors/"

// sensorLog is another sensor's log as a report covers it: up to its
// latest signed checkpoint.
type sensorLog struct {
	name   string
	view   *store.Store
	cp     evidence.Checkpoint
	signed []byte
	key    string // the verifier key that signed cp
}

// dir is the sensor's section of the bundle.
func (sl *sensorLog) dir() string { return sensorsDir + sl.name + "/" }

// collectSensors verifies, in a shared store, the whole log of every
// other sensor that signed a checkpoint (its hashes, key records and
// checkpoints, as the reporting sensor's own), and adds its records up to
// its latest checkpoint to the peers' aggregates.
func (r *run) collectSensors() error {
	views, err := r.s.OtherSensors()
	if err != nil {
		return err
	}
	for _, view := range views {
		sn := view.Sensor()
		sl, err := latestCheckpoint(view, sn.Name)
		if err != nil {
			return fmt.Errorf("sensor %q: %w", sn.Name, err)
		}
		if sl == nil {
			continue
		}
		v, err := evidence.NewLogVerifier(view, sl.key)
		if err != nil {
			return fmt.Errorf("sensor %q: %w", sn.Name, err)
		}
		r.sensors = append(r.sensors, sl)
		if err := r.coll.collect(view, len(r.sensors), v.Size(), sl.cp.Size, v, nil); err != nil {
			return fmt.Errorf("sensor %q: %w", sn.Name, err)
		}
		if problems, _ := v.Finish(); len(problems) > 0 {
			for i := range problems {
				problems[i].Where = "sensor " + field(sn.Name) + ": " + problems[i].Where
			}
			return &StoreProblems{problems}
		}
		r.log.Info("sensor log verified", "sensor", sn.Name, "records", v.Size(), "reported", sl.cp.Size)
	}
	return nil
}

// latestCheckpoint is a sensor's latest signed checkpoint, opened with the
// key of its history that signed it; nil when it never signed one.
func latestCheckpoint(view *store.Store, name string) (*sensorLog, error) {
	var signed []byte
	if err := view.Checkpoints(func(_ int64, s []byte) error { signed = s; return nil }); err != nil {
		return nil, err
	}
	if signed == nil {
		return nil, nil
	}
	keys, err := view.SigningKeys()
	if err != nil {
		return nil, err
	}
	sl := &sensorLog{name: name, view: view, signed: signed}
	for _, k := range keys {
		if c, err := evidence.OpenCheckpoint(signed, k.VerifierKey); err == nil {
			sl.cp, sl.key = c, k.VerifierKey
		}
	}
	if sl.key == "" {
		return nil, fmt.Errorf("its latest checkpoint is signed by none of its keys: %w (run 'leakhunt verify')", store.ErrCorrupt)
	}
	return sl, nil
}

// sensorsCheckingText is the bundle README's step for the other sensors'
// sections, numbered step.
func sensorsCheckingText(lang string, step int) string {
	if lang == "ja" {
		return fmt.Sprintf(`%d. sensors/名前/は他のセンサーの記録です。そのcheckpointは同じ場所のkey.pub（そのセンサー自身の鍵。
   鍵指紋はそのセンサーの運用者に確認してください）で署名されています。records.jsonlの各記録は3.のとおり
   そのチェックポイントに対して証明され、transcripts/は5.のとおりその記録に一致しなければなりません。
   書面と別紙の行は、記録したセンサーとそのログの記録番号を示します。
`, step)
	}
	return fmt.Sprintf(`%d. sensors/NAME/ holds another sensor's records. Its checkpoint is signed by the key.pub beside
   it (that sensor's own key: check its fingerprint with that sensor's operator); each record in its
   records.jsonl is proven against that checkpoint as in 3, and its transcripts/ must match its
   records as in 5. Letter rows and annex records name the sensor and the index in its log.
`, step)
}

// writeSensors writes the section of every other sensor the report
// covers, and returns their names and record counts.
func (r *run) writeSensors() ([]SensorSection, error) {
	var out []SensorSection
	for i, sl := range r.sensors {
		sec, err := r.writeSensor(sl, 1+i)
		if err != nil {
			return nil, fmt.Errorf("sensor %q: %w", sl.name, err)
		}
		if sec.Records > 0 {
			out = append(out, sec)
		}
	}
	return out, nil
}

// SensorSection is one other sensor's part of a bundle.
type SensorSection struct {
	Name    string
	Records int64
}

// writeSensor writes one sensor's section from its latest checkpoint:
// every record up to it, each naming the annex of its peer when the peer
// is named in the report.
func (r *run) writeSensor(sl *sensorLog, log int) (SensorSection, error) {
	sec := SensorSection{Name: sl.name}
	dir := sl.dir()
	if err := r.b.writeFile(dir+"checkpoint", sl.signed); err != nil {
		return sec, err
	}
	if err := r.b.writeFile(dir+"key.pub", []byte(sl.key+"\n")); err != nil {
		return sec, err
	}
	w, err := r.b.create(dir + "records.jsonl")
	if err != nil {
		return sec, err
	}
	defer w.abort()
	pv := newProver(sl.view, sl.cp.Size)
	var line []byte
	emit := func(rec store.Record, proof []tlog.Hash) error {
		// A record naming a match basis brings it (and its info
		// dictionary) into the bundle, as the reporting sensor's do.
		var o evidence.Observation
		if err := evidence.DecodeLeaf(rec.Leaf, &o); err != nil {
			return fmt.Errorf("log record %d: %w: run 'leakhunt verify'", rec.N, store.ErrCorrupt)
		}
		if o.Basis != "" {
			r.addBasis(o.Basis, o.InfoHash)
		}
		peer := ""
		if ord := r.coll.recPeer[log][rec.N]; ord != noPeer && r.coll.order[ord].out != nil {
			peer = r.coll.order[ord].out.id()
		}
		line = appendProofLine(line[:0], peer, rec.N, rec.Leaf, proof)
		sec.Records++
		_, err := w.Write(line)
		return err
	}
	err = sl.view.ForEachRecordBatch(0, func(batch []store.Record) error {
		for _, rec := range batch {
			if rec.N >= sl.cp.Size {
				return errStopWalk
			}
			if err := pv.add(rec, true, emit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && err != errStopWalk {
		return sec, err
	}
	return sec, w.Close()
}

// checkSensors checks each other sensor's section: its checkpoint with
// its key, every record's inclusion proof against that checkpoint, and
// its transcripts against its records. The levels and our addresses its
// records prove go into main's, which the letters and peers.csv are
// checked against.
func checkSensors(dir string, listed []string, main *bundleRecords, add func(string, string, ...any)) {
	for _, rel := range listed {
		if !strings.HasPrefix(rel, sensorsDir) || !strings.HasSuffix(rel, "/records.jsonl") {
			continue
		}
		sec := strings.TrimSuffix(rel, "records.jsonl")
		key, kerr := main.read(sec + "key.pub")
		cpb, cerr := main.read(sec + "checkpoint")
		if err := errors.Join(kerr, cerr); err != nil {
			add(rel, "its sensor's key.pub and checkpoint must come with it: %v", err)
			continue
		}
		cp, err := evidence.OpenCheckpoint(cpb, strings.TrimSpace(string(key)))
		if err != nil {
			add(sec+"checkpoint", "%v", err)
			continue
		}
		recs := &bundleRecords{levels: main.levels, ours: main.ours, transcripts: map[int64]string{}, ed2k: map[int64]bool{},
			bases: main.bases, read: main.read}
		checkProofs(dir, rel, cp, recs, add)
		for _, t := range listed {
			if strings.HasPrefix(t, sec+transcriptsDir) {
				checkTranscripts(dir, t, recs, add)
			}
		}
	}
}
