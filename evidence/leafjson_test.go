package evidence

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakhunt/leakhunt/fingerprint"
)

// fullObservation sets every field, with text that needs escaping.
func fullObservation() Observation {
	return Observation{Time: time.Date(2026, 2, 10, 14, 30, 0, 123456789, time.UTC), ClockOffset: "-3.2ms",
		Clock: &ClockMeasurement{Asked: []string{"a:123", "b:123"}, Answered: 2, Agreeing: 2, Server: "a:123", Stratum: 1,
			Offset: Duration(-3200 * time.Microsecond), RTT: Duration(20 * time.Millisecond), RootDistance: Duration(time.Millisecond),
			MeasuredAt: time.Date(2026, 2, 10, 14, 29, 58, 0, time.UTC), Error: "x"},
		Level: 4, Source: "probe", IP: "2a0a:1000::5", Port: 51413, PeerID: "2d5452", Client: "µTorrent \u202e<b>3.6</b> \"q\" \\ \x01 \U0001F600",
		Transport: "utp", InfoHash: fingerprint.InfoHash{0xab, 0xab, 1}, Document: strings.Repeat("1", 64), PiecesClaimed: []int{0, 1, 2},
		ClaimedCount: 3, PiecesVerified: []int{1}, PiecesFailed: []int{}, DocBytesVerified: 16384, Basis: "b", Error: "e\n",
		Detail: "d\t", ListenAddr: "10.0.0.2:40000", YourIP: "203.0.113.5", Version: "v", TranscriptSHA256: "t"}
}

// ed2kObservation is an L4 record of the eMule network.
func ed2kObservation() Observation {
	return Observation{Time: time.Date(2026, 2, 10, 14, 30, 0, 0, time.UTC), ClockOffset: "unsynchronized", Level: L4Served,
		Source: SourceProbe, IP: "192.0.2.7", Port: 4662, PeerID: strings.Repeat("0e", 16), Client: "aMule 2.3.3",
		Transport: TransportED2K, Document: strings.Repeat("2", 64), DocBytesVerified: 184320, Version: "v",
		Network: NetworkED2K, ED2K: fingerprint.ED2KHash{0x36, 0x19}, PartsClaimed: []int{0},
		BlockRequested: &ByteRange{0, 184320}, BlockVerified: &ByteRange{0, 184320}}
}

// everyField sets every exported field of the struct v points to (and of
// the structs it points to) to a value that is not its zero value.
func everyField(t *testing.T, v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x\u00e9")
		case reflect.Int, reflect.Int64:
			if f.Type() == reflect.TypeOf(Duration(0)) {
				f.SetInt(int64(1500 * time.Millisecond))
			} else {
				f.SetInt(7)
			}
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			if s.Index(0).Kind() == reflect.String {
				s.Index(0).SetString("y")
			} else {
				s.Index(0).SetInt(3)
			}
			f.Set(s)
		case reflect.Array:
			switch f.Type() {
			case reflect.TypeOf(fingerprint.InfoHash{}):
				f.Set(reflect.ValueOf(fingerprint.InfoHash{0xab, 7}))
			case reflect.TypeOf(fingerprint.ED2KHash{}):
				f.Set(reflect.ValueOf(fingerprint.ED2KHash{0xcd, 7}))
			default:
				t.Fatalf("field %s of type %s: teach this test and the leaf parser", v.Type().Field(i).Name, f.Type())
			}
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			everyField(t, p.Elem())
			f.Set(p)
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
			} else {
				everyField(t, f)
			}
		default:
			t.Fatalf("field %s of kind %s: teach this test and the leaf parser", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestDecodeLeafFastPath: every field of a leaf as json.Marshal writes it
// is read by the fast parser, with encoding/json's result. A field added to
// Observation without teaching the parser fails here.
func TestDecodeLeafFastPath(t *testing.T) {
	var every Observation
	everyField(t, reflect.ValueOf(&every).Elem())
	for _, o := range []Observation{every, fullObservation(), ed2kObservation(), {}, {Level: -1, Port: 0, PiecesVerified: []int{}}} {
		leaf, err := o.Leaf()
		if err != nil {
			t.Fatal(err)
		}
		var fast Observation
		p := leafParser{b: leaf}
		if !p.observation(&fast) || !p.end() {
			t.Fatalf("the fast parser gave up on %s", leaf)
		}
		var want Observation
		if err := json.Unmarshal(leaf, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("fast %+v\nwant %+v", fast, want)
		}
	}
}

// FuzzDecodeLeaf: DecodeLeaf agrees with json.Unmarshal on any input.
func FuzzDecodeLeaf(f *testing.F) {
	full := fullObservation()
	leaf, _ := full.Leaf()
	f.Add(leaf)
	ed := ed2kObservation()
	edLeaf, _ := ed.Leaf()
	f.Add(edLeaf)
	f.Add([]byte(`{"block_verified":{"end":1,"start":0}}`))
	f.Add([]byte(`{"block_requested":null,"ed2k":"zz"}`))
	f.Add([]byte(`{"level":01}`))
	f.Add([]byte(`{"level":1,"level":2}`))
	f.Add([]byte(`{"LEVEL":3}`))
	f.Add([]byte(`{"ip":"\ud800\u0041"}`))
	f.Add([]byte(`{"time":"2026-02-10T14:30:00Z","port":1.5}`))
	f.Add([]byte(`{"clock":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want Observation
		gerr := DecodeLeaf(b, &got)
		werr := json.Unmarshal(b, &want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("DecodeLeaf err %v, json err %v on %q", gerr, werr, b)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("on %q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

func BenchmarkDecodeLeaf(b *testing.B) {
	o := fullObservation()
	leaf, _ := o.Leaf()
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			var x Observation
			if err := DecodeLeaf(leaf, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var x Observation
			if err := json.Unmarshal(leaf, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
}
