package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/leakhunt/leakhunt/evidence"
	"github.com/leakhunt/leakhunt/fingerprint"
)

// Sensor is one hunter recording into a store: the machine that probes,
// with its own signing key and its own append-only evidence log (indexes
// from 0, contiguous), so that every observation stays attributable to
// the machine that made it. A bbolt store is one sensor.
type Sensor struct {
	// Name identifies the sensor in the store, in observations and in
	// letters ("hunter-tokyo-1"). A bbolt store's sensor has the name
	// given by [Options.Sensor], "" when none was.
	Name string `json:"name"`
	// Addr is the sensor's public address as its operator gave it
	// ([Options.SensorAddr]); empty when not given.
	Addr string `json:"addr,omitempty"`
	// LogSize is the number of records in its log when listed.
	LogSize int64 `json:"log_size"`
}

// ErrOtherSensor is wrapped when a write goes to the log of a sensor other
// than the store's own (a view from [Store.ForSensor]).
var ErrOtherSensor = errors.New("another sensor's log is read-only here")

// maxSensorName bounds sensor names.
const maxSensorName = 64

// CheckSensorName checks a sensor name: 1 to 64 letters, digits, '.', '_'
// or '-', starting with a letter or digit.
func CheckSensorName(name string) error {
	if name == "" || len(name) > maxSensorName {
		return fmt.Errorf("sensor name %q: want 1 to %d characters", name, maxSensorName)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return fmt.Errorf("sensor name %q: only letters, digits, '.', '_' and '-' (not first)", name)
		}
	}
	return nil
}

// sensorsBackend is the multi-sensor part of a backend.
type sensorsBackend interface {
	sensor() Sensor
	// identity is the sensor's name and address, as observations record
	// them; empty for a bbolt store opened without a sensor name.
	identity() (name, addr string)
	sensors() ([]Sensor, error)
	forSensor(name string) (backend, error)
	shared() bool
	claimFetch(ih fingerprint.InfoHash, ttl time.Duration) (bool, error)
	releaseFetch(ih fingerprint.InfoHash) error
	leaseWatch(ih fingerprint.InfoHash, ttl time.Duration) (bool, error)
}

// Sensor is the store's own sensor: the one whose log the log methods
// read and append to.
func (s *Store) Sensor() Sensor { return s.b.sensor() }

// Sensors lists every sensor with a log in the store, by name (one for a
// bbolt store).
func (s *Store) Sensors() ([]Sensor, error) { return s.b.sensors() }

// Shared reports whether several sensors may use the store at once
// (PostgreSQL); false for a bbolt file.
func (s *Store) Shared() bool { return s.b.shared() }

// ForSensor returns a view of the store whose log methods read the log,
// keys and checkpoints of the named sensor; everything else is shared.
// Appending to another sensor's log is refused ([ErrOtherSensor]). Closing
// the view does nothing: close s. The store's own name returns s.
func (s *Store) ForSensor(name string) (*Store, error) {
	if name == s.b.sensor().Name {
		return s, nil
	}
	b, err := s.b.forSensor(name)
	if err != nil {
		return nil, err
	}
	return &Store{b: b}, nil
}

// OtherSensors returns a view ([Store.ForSensor]) of every other sensor
// with a log in a store several sensors share, by name; none for a bbolt
// store.
func (s *Store) OtherSensors() ([]*Store, error) {
	if !s.Shared() {
		return nil, nil
	}
	all, err := s.Sensors()
	if err != nil {
		return nil, err
	}
	var out []*Store
	for _, sn := range all {
		if sn.Name == s.Sensor().Name {
			continue
		}
		view, err := s.ForSensor(sn.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, view)
	}
	return out, nil
}

// ClaimFetch claims the metadata fetch of an infohash for this sensor for
// ttl: it reports false when the infohash is already in the seen set or
// another sensor holds a live claim on it. A claim of a sensor that died
// expires after ttl and is then granted to the next asking. Always granted
// on a bbolt store (one sensor). Safe for concurrent use.
func (s *Store) ClaimFetch(ih fingerprint.InfoHash, ttl time.Duration) (bool, error) {
	return s.b.claimFetch(ih, ttl)
}

// ReleaseFetch gives up this sensor's claim on an infohash whose fetch
// failed, so that another sensor may try it. (A fetch that succeeded is
// in the seen set: [Store.MarkSeen].)
func (s *Store) ReleaseFetch(ih fingerprint.InfoHash) error { return s.b.releaseFetch(ih) }

// LeaseWatch takes the lease of a watched torrent's next harvest-and-probe
// round for ttl: it reports false while another sensor's lease runs. The
// lease is not given back: it runs out, so that each torrent gets one
// round per ttl from one sensor, and the round of a sensor that died is
// taken over once its lease ran out. Always granted on a bbolt store.
func (s *Store) LeaseWatch(ih fingerprint.InfoHash, ttl time.Duration) (bool, error) {
	return s.b.leaseWatch(ih, ttl)
}

// stamp names the store's sensor in observations that name none.
func (s *Store) stamp(obs []evidence.Observation) {
	name, addr := s.b.identity()
	if name == "" {
		return
	}
	for i := range obs {
		if obs[i].Sensor == "" {
			obs[i].Sensor, obs[i].SensorAddr = name, addr
		}
	}
}
