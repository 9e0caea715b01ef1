package report

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/store"
)

// A report from a store several sensors share bundles, besides the
// reporting sensor's own log, the log of every other sensor as that
// sensor signed it: under sensors/NAME/, its latest signed checkpoint
// (checkpoint, as stored), the public key that signed it (key.pub), and
// each of its records up to that checkpoint with an inclusion proof
// (records.jsonl, lines as in proofs/records.jsonl, with no annex). The
// reporting sensor cannot sign for another: records made after another
// sensor's latest checkpoint are left out, and a sensor that never
// signed one has no section.

// sensorsDir holds the other sensors' sections.
const sensorsDir = "sensors/"

// writeSensors writes the section of every other sensor with a signed
// checkpoint, and returns their names and record counts.
func (r *run) writeSensors() ([]SensorSection, error) {
	if !r.s.Shared() {
		return nil, nil
	}
	all, err := r.s.Sensors()
	if err != nil {
		return nil, err
	}
	own := r.s.Sensor().Name
	var out []SensorSection
	for _, sn := range all {
		if sn.Name == own {
			continue
		}
		view, err := r.s.ForSensor(sn.Name)
		if err != nil {
			return nil, err
		}
		sec, err := r.writeSensor(view, sn.Name)
		if err != nil {
			return nil, fmt.Errorf("sensor %q: %w", sn.Name, err)
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

// writeSensor writes one sensor's section from its latest checkpoint.
func (r *run) writeSensor(view *store.Store, name string) (SensorSection, error) {
	sec := SensorSection{Name: name}
	var signed []byte
	if err := view.Checkpoints(func(_ int64, s []byte) error { signed = s; return nil }); err != nil {
		return sec, err
	}
	if signed == nil {
		return sec, nil
	}
	keys, err := view.SigningKeys()
	if err != nil {
		return sec, err
	}
	var cp evidence.Checkpoint
	vkey := ""
	for _, k := range keys {
		if c, err := evidence.OpenCheckpoint(signed, k.VerifierKey); err == nil {
			cp, vkey = c, k.VerifierKey
		}
	}
	if vkey == "" {
		return sec, fmt.Errorf("its latest checkpoint is signed by none of its keys: %w (run 'leakhunt verify')", store.ErrCorrupt)
	}
	dir := sensorsDir + name + "/"
	if err := r.b.writeFile(dir+"checkpoint", signed); err != nil {
		return sec, err
	}
	if err := r.b.writeFile(dir+"key.pub", []byte(vkey+"\n")); err != nil {
		return sec, err
	}
	w, err := r.b.create(dir + "records.jsonl")
	if err != nil {
		return sec, err
	}
	defer w.abort()
	pv := newProver(view, cp.Size)
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
		line = appendProofLine(line[:0], "", rec.N, rec.Leaf, proof)
		sec.Records++
		_, err := w.Write(line)
		return err
	}
	err = view.ForEachRecordBatch(0, func(batch []store.Record) error {
		for _, rec := range batch {
			if rec.N >= cp.Size {
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
// its key, and every record's inclusion proof against that checkpoint.
func checkSensors(dir string, listed []string, read func(string) ([]byte, error), add func(string, string, ...any)) {
	for _, rel := range listed {
		if !strings.HasPrefix(rel, sensorsDir) || !strings.HasSuffix(rel, "/records.jsonl") {
			continue
		}
		sec := strings.TrimSuffix(rel, "records.jsonl")
		key, kerr := read(sec + "key.pub")
		cpb, cerr := read(sec + "checkpoint")
		if err := errors.Join(kerr, cerr); err != nil {
			add(rel, "its sensor's key.pub and checkpoint must come with it: %v", err)
			continue
		}
		cp, err := evidence.OpenCheckpoint(cpb, strings.TrimSpace(string(key)))
		if err != nil {
			add(sec+"checkpoint", "%v", err)
			continue
		}
		recs := &bundleRecords{levels: map[string]evidence.Level{}, ours: map[string]bool{}, transcripts: map[int64]string{},
			bases: map[string]basisCheck{}, read: read}
		checkProofs(dir, rel, cp, recs, add)
	}
}
