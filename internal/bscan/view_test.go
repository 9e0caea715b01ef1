package bscan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestView(t *testing.T) {
	in := []byte("d4:infod6:lengthi-42e4:name3:abc5:filesld4:pathl1:a2:bceeee8:announce3:urle")
	if err := Check(in, MetadataLimits()); err != nil {
		t.Fatal(err)
	}
	v := View(in)
	if !v.IsDict(0) || v.End(0) != len(in) {
		t.Fatalf("IsDict %v, End %d of %d", v.IsDict(0), v.End(0), len(in))
	}
	var got []string
	err := v.Dict(0, func(k []byte, i int) error {
		got = append(got, string(k))
		if string(k) != "info" {
			s, err := v.Str(i)
			got = append(got, string(s))
			return err
		}
		return v.Dict(i, func(k []byte, i int) error {
			got = append(got, string(k))
			switch string(k) {
			case "length":
				n, err := v.Int(i)
				got = append(got, fmt.Sprint(n))
				return err
			case "files":
				return v.List(i, func(f int) error {
					return v.Dict(f, func(_ []byte, p int) error {
						return v.List(p, func(e int) error {
							s, err := v.Str(e)
							got = append(got, string(s))
							return err
						})
					})
				})
			}
			if _, err := v.Int(i); !errors.Is(err, ErrType) {
				return fmt.Errorf("Int of a string: %v", err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "info length -42 name files a bc announce url"; strings.Join(got, " ") != want {
		t.Errorf("walked %q, want %q", strings.Join(got, " "), want)
	}
	for name, err := range map[string]error{
		"Str of a dict":  func() error { _, err := v.Str(0); return err }(),
		"List of a dict": v.List(0, func(int) error { return nil }),
		"Dict of a list": View("le").Dict(0, nil),
	} {
		if !errors.Is(err, ErrType) {
			t.Errorf("%s: %v, want ErrType", name, err)
		}
	}
	if _, err := View("i9223372036854775808e").Int(0); err == nil {
		t.Error("2^63 fits an int64")
	}
	if n, err := View("i-9223372036854775807e").Int(0); err != nil || n != -1<<63+1 {
		t.Errorf("-(2^63-1): %d, %v", n, err)
	}
}
