package sigdebug

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/jr0185/harness/sandbox/protocol"
)

// variant is a string the partner may have signed instead of the canonical one.
type variant struct {
	what string
	msg  []byte
}

// stringAttempts: the canonical string rebuilt with one plausible difference each.
func (d *debugger) stringAttempts() []attempt {
	c, r := d.c, d.r
	lines := []variant{}
	if crlf := bytes.ReplaceAll(d.sts, []byte("\n"), []byte("\r\n")); !bytes.Equal(crlf, d.sts) {
		lines = append(lines, variant{"CRLF", crlf})
	}
	out := []attempt{
		{"CRLF line endings", func() (*Diagnosis, bool) {
			return d.match(CodeCRLF, "the string was signed with CRLF (\\r\\n) line endings", fixLines, lines)
		}},
		{"final newline missing", func() (*Diagnosis, bool) {
			return d.match(CodeFinalNewline, "the string was signed without the final \\n after the body line (lines joined, not terminated)", fixLines,
				[]variant{{"no final newline", d.sts[:len(d.sts)-1]}})
		}},
		{"body re-serialized (compact, indented, sorted keys, Python json.dumps, ASCII-escaped, trailing newline, empty)", func() (*Diagnosis, bool) {
			vs := []variant{}
			for _, b := range bodyVariants(r.Body) {
				vs = append(vs, variant{b.what, protocol.StringToSign(r.Method, r.URI, c.Timestamp, c.Nonce, b.msg)})
			}
			return d.match(CodeBodyReserialized, "the body bytes sent differ from the body that was signed",
				"sign the exact bytes you send: serialize the JSON once, sign those bytes and send the same bytes (no re-encoding by your HTTP client)", vs)
		}},
		{"path or query encoded differently (decoded, re-encoded, sorted, without query, absolute URL)", func() (*Diagnosis, bool) {
			vs := []variant{}
			for _, u := range uriVariants(r.URI, r.Host) {
				vs = append(vs, variant{u.what, protocol.StringToSign(r.Method, string(u.msg), c.Timestamp, c.Nonce, r.Body)})
			}
			return d.match(CodeURIEncoding, "the path and query that were signed differ from the request line that was sent",
				"sign the path and query exactly as they appear on the request line (same percent-encoding, same parameter order, no scheme or host)", vs)
		}},
	}
	return out
}

// match returns a diagnosis for the first variant that verifies.
func (d *debugger) match(code, message, fix string, vs []variant) (*Diagnosis, bool) {
	for _, v := range vs {
		if d.check(v.msg) {
			return &Diagnosis{Code: code, Message: message + " (" + v.what + ")", Fix: fix, SignedStringEscaped: Escape(string(v.msg))}, true
		}
	}
	return nil, false
}

// bodyVariants are the re-serializations partners' libraries commonly produce.
func bodyVariants(body []byte) []variant {
	cands := []variant{}
	if len(body) > 0 {
		cands = append(cands, variant{"empty body signed", nil})
	}
	if json.Valid(body) {
		var compact bytes.Buffer
		if json.Compact(&compact, body) == nil {
			cands = append(cands, variant{"compact JSON", compact.Bytes()},
				variant{"Python json.dumps separators", pythonSeparators(compact.Bytes())},
				variant{"Python json.dumps (ensure_ascii)", asciiEscape(pythonSeparators(compact.Bytes()))},
				variant{"non-ASCII escaped as \\uXXXX", asciiEscape(compact.Bytes())})
			for _, ind := range []string{"  ", "    ", "\t"} {
				var b bytes.Buffer
				if json.Indent(&b, compact.Bytes(), "", ind) == nil {
					cands = append(cands, variant{fmt.Sprintf("indented JSON (%q)", ind), b.Bytes()})
				}
			}
		}
		if sorted, err := sortedJSON(body); err == nil {
			cands = append(cands, variant{"JSON with keys sorted", sorted},
				variant{"Python json.dumps(sort_keys=True)", asciiEscape(pythonSeparators(sorted))})
		}
	}
	if len(body) > 0 {
		cands = append(cands,
			variant{"body with a trailing newline", append(bytes.Clone(body), '\n')},
			variant{"body without trailing whitespace", bytes.TrimRight(body, " \r\n\t")},
			variant{"body with CRLF turned into LF", bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))})
	}
	return dedupe(body, cands)
}

func dedupe(orig []byte, cands []variant) []variant {
	seen := map[string]bool{string(orig): true}
	out := []variant{}
	for _, c := range cands {
		if seen[string(c.msg)] {
			continue
		}
		seen[string(c.msg)] = true
		out = append(out, c)
	}
	return out
}

// sortedJSON re-marshals body as Go does: keys sorted, numbers kept as written, no HTML
// escaping, compact.
func sortedJSON(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// pythonSeparators turns compact JSON into json.dumps' default ", " and ": ".
func pythonSeparators(compact []byte) []byte {
	var b bytes.Buffer
	inStr, esc := false, false
	for _, ch := range compact {
		b.WriteByte(ch)
		switch {
		case esc:
			esc = false
		case inStr && ch == '\\':
			esc = true
		case ch == '"':
			inStr = !inStr
		case !inStr && (ch == ',' || ch == ':'):
			b.WriteByte(' ')
		}
	}
	return b.Bytes()
}

// asciiEscape writes every non-ASCII character as \uXXXX (surrogate pairs beyond the BMP).
func asciiEscape(b []byte) []byte {
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < 0x80:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&out, "\\u%04x", r)
		}
	}
	return out.Bytes()
}

var pctEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)

// uriVariants are the other forms of the request line's path and query a client or
// framework may have signed.
func uriVariants(uri, host string) []variant {
	path, query, hasQuery := strings.Cut(uri, "?")
	cands := []variant{}
	add := func(what, u string) { cands = append(cands, variant{what, []byte(u)}) }
	withQ := func(p, q string) string {
		if q == "" {
			return p
		}
		return p + "?" + q
	}
	if p, err := url.PathUnescape(path); err == nil {
		add("path percent-decoded", withQ(p, query))
		add("path re-encoded", withQ((&url.URL{Path: p}).EscapedPath(), query))
	}
	add("percent-escapes upper-cased", pctEscape.ReplaceAllStringFunc(uri, strings.ToUpper))
	add("percent-escapes lower-cased", pctEscape.ReplaceAllStringFunc(uri, strings.ToLower))
	if hasQuery {
		add("query omitted", path)
		if q, err := url.QueryUnescape(query); err == nil {
			add("query percent-decoded", withQ(path, q))
		}
		if vals, err := url.ParseQuery(query); err == nil {
			add("query re-encoded with keys sorted", withQ(path, vals.Encode()))
		}
		pairs := strings.Split(query, "&")
		sort.Strings(pairs)
		add("query parameters sorted", withQ(path, strings.Join(pairs, "&")))
		add("spaces as %20 instead of +", withQ(path, strings.ReplaceAll(query, "+", "%20")))
		add("spaces as + instead of %20", withQ(path, strings.ReplaceAll(query, "%20", "+")))
	}
	if strings.HasSuffix(path, "/") {
		add("trailing slash dropped", withQ(strings.TrimSuffix(path, "/"), query))
	} else {
		add("trailing slash added", withQ(path+"/", query))
	}
	if host != "" {
		add("absolute URL signed", "https://"+host+uri)
	}
	return dedupe([]byte(uri), cands)
}

// parseDER reads an ASN.1 SEQUENCE{INTEGER r, INTEGER s} with nothing after it.
func parseDER(b []byte) (r, s *big.Int, err error) {
	in := cryptobyte.String(b)
	var inner cryptobyte.String
	r, s = new(big.Int), new(big.Int)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, errors.New("not a DER SM2 signature")
	}
	return r, s, nil
}

// rsToDER encodes a raw 64-byte r‖s as DER.
func rsToDER(raw []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[:32]))
		b.AddASN1BigInt(new(big.Int).SetBytes(raw[32:]))
	})
	out, err := b.Bytes()
	if err != nil {
		return nil
	}
	return out
}
