package faults

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

func TestMangleBody(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"first number changes", `{"amount":123,"id":"x"}`, `{"amount":223,"id":"x"}`},
		{"digit in a string value before any number", `{"id":"pay_42","n":7}`, `{"id":"pay_52","n":7}`},
		{"digits in keys are skipped", `{"a1":"x","b":5}`, `{"a1":"x","b":6}`},
		{"negative number", `{"x":-3}`, `{"x":-4}`},
		{"nine wraps to zero when alone", `{"x":9}`, `{"x":0}`},
		{"leading nine becomes one, never a leading zero", `{"x":95}`, `{"x":15}`},
		{"escaped unicode is skipped", `{"s":"\u4e2d5"}`, `{"s":"\u4e2d6"}`},
		{"array of numbers", `[10,20]`, `[20,20]`},
		{"key after a nested object is still a key", `{"o":{"a":"b"},"k2":3}`, `{"o":{"a":"b"},"k2":4}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := MangleBody([]byte(c.in))
			if !ok || string(got) != c.want {
				t.Fatalf("MangleBody(%s) = %s %v, want %s", c.in, got, ok, c.want)
			}
			if !json.Valid(got) {
				t.Fatalf("not valid JSON: %s", got)
			}
		})
	}
	t.Run("no digit leaves the body unchanged", func(t *testing.T) {
		in := []byte(`{"a1":"x","b":true}`)
		if got, ok := MangleBody(in); ok || string(got) != string(in) {
			t.Fatalf("%s %v", got, ok)
		}
	})
}

func TestFlipSignatureBitChangesExactlyOneBit(t *testing.T) {
	t.Parallel()
	sig := base64.StdEncoding.EncodeToString([]byte{1, 2, 3, 4})
	got, _ := base64.StdEncoding.DecodeString(FlipSignatureBit(sig))
	if string(got) != string([]byte{1, 2, 3, 5}) {
		t.Fatalf("%v", got)
	}
	if FlipSignatureBit("not base64!") == "not base64!" {
		t.Fatal("a non-base64 value was left unchanged")
	}
}
