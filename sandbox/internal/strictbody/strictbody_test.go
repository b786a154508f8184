package strictbody

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

type inner struct {
	Rate float64 `json:"rate_rps"`
}

type embedded struct {
	Serial string `json:"serial"`
}

type target struct {
	Name   string          `json:"name"`
	Tags   []string        `json:"tags"`
	Limits *inner          `json:"limits"`
	When   time.Time       `json:"when"`
	Raw    json.RawMessage `json:"raw"`
	Skip   string          `json:"-"`
	embedded
}

func TestJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, body string
		want           *problem.Error
	}{
		{"ok/every field", JSONType, `{"name":"a","tags":["x"],"limits":{"rate_rps":1},"when":"2026-01-01T00:00:00Z","raw":{"Any":1},"serial":"s"}`, nil},
		{"ok/charset utf-8", "application/json; charset=UTF-8", `{"name":"a"}`, nil},
		{"ok/whitespace around", JSONType, " \n{\"name\":\"a\"}\n ", nil},
		{"415/no media type", "", `{}`, problem.UnsupportedMediaType},
		{"415/text/plain", "text/plain", `{}`, problem.UnsupportedMediaType},
		{"415/another charset", "application/json; charset=latin1", `{}`, problem.UnsupportedMediaType},
		{"415/another parameter", "application/json; x=1", `{}`, problem.UnsupportedMediaType},
		{"400/trailing data", JSONType, `{"name":"a"} x`, problem.BodyInvalid},
		{"400/two objects", JSONType, `{}{}`, problem.BodyInvalid},
		{"400/an array", JSONType, `[]`, problem.BodyInvalid},
		{"400/empty", JSONType, ``, problem.BodyInvalid},
		{"400/invalid UTF-8", JSONType, "{\"name\":\"\xff\"}", problem.BodyInvalid},
		{"400/case-variant name", JSONType, `{"Name":"a"}`, problem.BodyInvalid},
		{"400/case-variant nested name", JSONType, `{"limits":{"Rate_rps":1}}`, problem.BodyInvalid},
		{"400/unknown field", JSONType, `{"nope":1}`, problem.BodyInvalid},
		{"400/the dash field", JSONType, `{"Skip":"x"}`, problem.BodyInvalid},
		{"400/duplicate key", JSONType, `{"name":"a","name":"b"}`, problem.BodyInvalid},
		{"400/duplicate nested key", JSONType, `{"limits":{"rate_rps":1,"rate_rps":2}}`, problem.BodyInvalid},
		{"400/wrong kind", JSONType, `{"name":[]}`, problem.BodyInvalid},
		{"400/duplicate key inside a raw value", JSONType, `{"raw":{"a":1,"a":2}}`, problem.BodyInvalid},
		{"400/too deep", JSONType, `{"raw":` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `}`, problem.BodyInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var v target
			err := JSON(c.ct, []byte(c.body), &v)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %s", err, c.want.Code)
			}
			if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "strictbody.") || strings.Contains(err.Error(), "json:") {
				t.Errorf("the detail names internals: %v", err)
			}
		})
	}
}

func TestForm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, body string
		want           *problem.Error
	}{
		{"ok/form", FormType, "a=1&b=2", nil},
		{"415/json", JSONType, "a=1", problem.UnsupportedMediaType},
		{"400/unknown field", FormType, "c=1", problem.BodyInvalid},
		{"400/repeated field", FormType, "a=1&a=2", problem.BodyInvalid},
		{"400/bad escape", FormType, "a=%zz", problem.BodyInvalid},
		{"400/invalid UTF-8 escaped", FormType, "a=%FF", problem.BodyInvalid},
		{"400/invalid UTF-8 raw", FormType, "a=\xff", problem.BodyInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Form(c.ct, []byte(c.body), "a", "b")
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %s", err, c.want.Code)
			}
		})
	}
}

// FuzzJSON: any bytes are either decoded or refused with a catalogued 400 — never a
// panic, never another error, never a detail naming internals (moov-io/ach style).
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a"}`, `{}{}`, `{"name":"a","name":"b"}`, `[1]`, "{\"name\":\"\xff\"}", `{"limits":{"rate_rps":1e999}}`, `{"raw":[[[]]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v target
		err := DecodeJSON(body, &v)
		if err == nil {
			return
		}
		if !errors.Is(err, problem.BodyInvalid) {
			t.Fatalf("%q: %v is not BODY_INVALID", body, err)
		}
		if msg := err.Error(); strings.Contains(msg, "Go ") || strings.Contains(msg, "json:") {
			t.Fatalf("%q: detail names internals: %s", body, msg)
		}
	})
}
