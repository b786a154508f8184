package steps

// What the users' and money probes judge against (issue 13): the windows, limits and
// masking rules the bank publishes in /docs/limits.json, the test users' real data from
// the sandbox's test-data control (GET /admin/v1/test-users/{username}, the ground truth
// of masked values), and the checks every masking probe shares — on the digits, whatever
// the separators, and on the exact masked forms the bank publishes.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// limitsDoc is /docs/limits.json: sections of named windows, limits and rules (and
// the document's version).
type limitsDoc map[string]any

// section is one section of the document.
func (l limitsDoc) section(name string) map[string]any {
	m, _ := l[name].(map[string]any)
	return m
}

// publishedLimits reads the bank's published limits.
func publishedLimits(ctx context.Context) (limitsDoc, error) {
	x, err := W(ctx).Env.get(ctx, "/docs/limits.json")
	if err != nil || x.Status != 200 {
		return nil, fmt.Errorf("GET /docs/limits.json: HTTP %d %v", x.Status, err)
	}
	var doc limitsDoc
	if err := json.Unmarshal(x.Body, &doc); err != nil {
		return nil, fmt.Errorf("/docs/limits.json: %w", err)
	}
	return doc, nil
}

// num is a published whole number; an absent or non-numeric one is an error naming it.
func (l limitsDoc) num(section, key string) (int, error) {
	v, ok := l.section(section)[key].(float64)
	if !ok || v <= 0 || v != float64(int(v)) {
		return 0, fmt.Errorf("/docs/limits.json publishes no %s.%s (a positive whole number): %v", section, key, l.section(section)[key])
	}
	return int(v), nil
}

// nums reads several numbers of one section at once.
func (l limitsDoc) nums(section string, keys ...string) ([]int, error) {
	out := make([]int, len(keys))
	for i, k := range keys {
		v, err := l.num(section, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// ---- the test users' real data

// seeded is a test user as the bank seeded them: what answers must never show in full.
type seeded struct {
	Username   string `json:"username"`
	Name       string `json:"name"`
	ResidentID string `json:"resident_id"`
	Mobile     string `json:"mobile"`
	Accounts   []struct {
		ID     string `json:"account_id"`
		Number string `json:"number"`
		Status string `json:"status"`
	} `json:"accounts"`
}

// seededUser reads a test user's seeded data through the test-data control. Nothing of
// it is ever written to the evidence: the full numbers are test data, but the suite
// logs no full card, ID or phone number either.
func seededUser(ctx context.Context, role string) (*seeded, error) {
	w := W(ctx)
	u, ok := w.Env.T.Users[role]
	if !ok {
		return nil, fmt.Errorf("the target defines no test user %q", role)
	}
	x, err := w.Env.adminWant(ctx, "GET", "/admin/v1/test-users/"+url.PathEscape(u.Username), nil, 200)
	if err != nil {
		return nil, fmt.Errorf("the test-data control (GET /admin/v1/test-users/{username}) is needed to judge masked values: %w", err)
	}
	var out struct {
		User seeded `json:"user"`
	}
	if err := json.Unmarshal(x.Body, &out); err != nil || len(out.User.Accounts) == 0 {
		return nil, fmt.Errorf("the test-data control answered no accounts for %s: %v", u.Username, err)
	}
	return &out.User, nil
}

// account is the seeded number of account id ("" if the user holds none with that id).
func (s *seeded) account(id string) string {
	for _, a := range s.Accounts {
		if a.ID == id {
			return a.Number
		}
	}
	return ""
}

// ---- masking: the secrets an answer must not carry, and the forms it must use

// secrets are full values an answer must never carry: digit strings (card and account
// numbers, resident IDs, mobiles) and names, each with what it is.
type secrets struct {
	digits map[string]string // digits (an ID's check character X kept) → what it is
	names  map[string]string // full name → whose
}

func newSecrets() *secrets { return &secrets{digits: map[string]string{}, names: map[string]string{}} }

// user adds a seeded user's numbers and name.
func (s *secrets) user(u *seeded) *secrets {
	for _, a := range u.Accounts {
		s.digits[digitsOf(a.Number)] = u.Username + "'s account …" + last4(a.Number)
	}
	s.digits[strings.ToUpper(digitsOf(u.ResidentID))] = u.Username + "'s resident ID"
	s.digits[digitsOf(u.Mobile)] = u.Username + "'s mobile"
	s.names[u.Name] = u.Username + "'s name"
	return s
}

// payee adds a payee's account number and name.
func (s *secrets) payee(account, name string) *secrets {
	s.digits[digitsOf(account)] = "the payee's account …" + last4(account)
	s.names[name] = "the payee's name"
	return s
}

// separators may stand between the digits of a number shown "grouped".
func separator(r rune) bool {
	return r == ' ' || r == '-' || r == '.' || r == '/' || r == '_' || r == 0xA0 || r == 0x3000 || r == 0x2009 || r == 0x202F ||
		r == 0xFF0D || r == 0xFF0E || r == 0x2010 || r == 0x2011 || r == 0x2012 || r == 0x2013
}

// asciiDigit maps ASCII and full-width digits (and an ID's X) to ASCII; ok is false
// for anything else.
func asciiDigit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= 0xFF10 && r <= 0xFF19:
		return byte('0' + r - 0xFF10), true
	case r == 'X' || r == 'x' || r == 0xFF38 || r == 0xFF58:
		return 'X', true
	}
	return 0, false
}

// digitRuns are the runs of digits in text, each with the separators between its
// digits dropped: "6222 0200-0000．0002" is one run "6222020000000002".
func digitRuns(text string) []string {
	var runs []string
	var cur []byte
	pendingSep := false
	flush := func() {
		if len(cur) > 0 {
			runs = append(runs, string(cur))
		}
		cur, pendingSep = cur[:0:0], false
	}
	for _, r := range text {
		if d, ok := asciiDigit(r); ok {
			if d == 'X' && len(cur) == 0 {
				continue // an X only ends an ID
			}
			cur = append(cur, d)
			pendingSep = false
			continue
		}
		if separator(r) && len(cur) > 0 && !pendingSep {
			pendingSep = true
			continue
		}
		flush()
	}
	flush()
	return runs
}

// digitsOf keeps the digits (and X) of a number as written.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if d, ok := asciiDigit(r); ok {
			b.WriteByte(d)
		}
	}
	return b.String()
}

func last4(s string) string {
	d := digitsOf(s)
	if len(d) < 4 {
		return d
	}
	return d[len(d)-4:]
}

// leaks lists every secret text carries in full: a number whose digits appear in a
// run of digits (whatever the separators), a name written out.
func (s *secrets) leaks(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, run := range digitRuns(text) {
		run = strings.ToUpper(run)
		for d, what := range s.digits {
			if len(d) >= 11 && strings.Contains(run, d) && !seen[what] {
				seen[what] = true
				out = append(out, what+" in full")
			}
		}
	}
	for n, what := range s.names {
		if utf8.RuneCountInString(n) >= 2 && strings.Contains(text, n) && !seen[what] {
			seen[what] = true
			out = append(out, what+" in full")
		}
	}
	sort.Strings(out)
	return out
}

// answerText is everything of an answer a partner reads: its headers, its body, and
// every string of its JSON decoded (a body may escape what it carries as \uXXXX).
func answerText(h http.Header, body []byte) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	b.Write(body)
	var v any
	if json.Unmarshal(body, &v) == nil {
		walkStrings(v, func(_, s string) { b.WriteString("\n" + s) })
	}
	return b.String()
}

// walkStrings calls f with every string of a decoded JSON value and the name of the
// field holding it.
func walkStrings(v any, f func(field, s string)) {
	var walk func(field string, v any)
	walk = func(field string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				walk(k, e)
			}
		case []any:
			for _, e := range t {
				walk(field, e)
			}
		case string:
			f(field, t)
		}
	}
	walk("", v)
}

// maskRules are the masked forms the bank publishes (limits.json "masking").
type maskRules struct {
	acctFirst, acctLast, mobFirst, mobLast, nameKeep int
	acctHidden, mobHidden, nameHidden                string
	compound                                         bool
}

func publishedMasks(l limitsDoc) (maskRules, error) {
	m := l.section("masking")
	get := func(kind, key string) (any, error) {
		sec, _ := m[kind].(map[string]any)
		v, ok := sec[key]
		if !ok {
			return nil, fmt.Errorf("/docs/limits.json publishes no masking.%s.%s: the masked forms cannot be judged", kind, key)
		}
		return v, nil
	}
	var r maskRules
	for _, f := range []struct {
		kind, key string
		n         *int
		s         *string
	}{{"account", "keep_first", &r.acctFirst, nil}, {"account", "keep_last", &r.acctLast, nil}, {"account", "hidden", nil, &r.acctHidden},
		{"mobile", "keep_first", &r.mobFirst, nil}, {"mobile", "keep_last", &r.mobLast, nil}, {"mobile", "hidden", nil, &r.mobHidden},
		{"name", "keep_first_chars", &r.nameKeep, nil}, {"name", "hidden_char", nil, &r.nameHidden}} {
		v, err := get(f.kind, f.key)
		if err != nil {
			return r, err
		}
		if f.n != nil {
			n, _ := v.(float64)
			*f.n = int(n)
		} else {
			*f.s, _ = v.(string)
		}
	}
	sec, _ := m["name"].(map[string]any)
	r.compound, _ = sec["compound_surname_kept"].(bool)
	if r.acctFirst+r.acctLast > 12 || r.acctHidden == "" || r.mobFirst+r.mobLast > 7 || r.nameKeep < 1 || r.nameHidden == "" {
		return r, fmt.Errorf("the published masking rules reveal too much or hide nothing: %v", m)
	}
	return r, nil
}

// account is number masked as published, e.g. "6222 **** **** 1234".
func (r maskRules) account(number string) string {
	d := digitsOf(number)
	return d[:r.acctFirst] + r.acctHidden + d[len(d)-r.acctLast:]
}

// mobile is a mobile number masked as published, e.g. "138****5678".
func (r maskRules) mobile(number string) string {
	d := digitsOf(number)
	return d[:r.mobFirst] + r.mobHidden + d[len(d)-r.mobLast:]
}

// name is a person's name masked as published: its first character(s) kept, one
// hidden character for each other (a compound surname kept whole when the bank says so).
func (r maskRules) name(n string) string {
	rs := []rune(strings.TrimSpace(n))
	keep := r.nameKeep
	if r.compound && len(rs) > 2 && compoundSurname(string(rs[:2])) {
		keep = 2
	}
	if keep > len(rs) {
		keep = len(rs)
	}
	return string(rs[:keep]) + strings.Repeat(r.nameHidden, len(rs)-keep)
}

// compoundSurname: the two-character surnames (复姓) a name mask keeps whole.
func compoundSurname(s string) bool {
	return strings.Contains("欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 南宫 西门 百里", s)
}
