package sigdebug

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on a pasted request (untrusted input).
const (
	MaxRawRequest = 1 << 20
	maxHeaders    = 100
)

// ErrRaw is wrapped by every ParseRaw error.
var ErrRaw = errors.New("not an HTTP/1.1 request")

// Raw is a pasted HTTP request, parsed.
type Raw struct {
	Method  string
	URI     string
	Headers [][2]string // in order, names as written
	Body    []byte
}

// Header returns the first value of the named header (case-insensitive).
func (r Raw) Header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// Request is the view Diagnose needs.
func (r Raw) Request() Request {
	return Request{Method: r.Method, URI: r.URI, Host: r.Header("Host"), Authorization: r.Header("Authorization"), Body: r.Body}
}

// ParseRaw reads a request as printed by curl -v, an HTTP log or a proxy: a request line
// "METHOD /path?query HTTP/1.1", header lines, an empty line, then the body. Lines may end
// in CRLF or LF (a terminal paste loses the CR); the body is taken byte for byte, cut to
// Content-Length when that header is present (a paste often adds a final newline). An
// absolute URL on the request line is reduced to its path and query.
func ParseRaw(s string) (Raw, error) {
	var r Raw
	if len(s) > MaxRawRequest {
		return r, fmt.Errorf("%w: longer than %d bytes", ErrRaw, MaxRawRequest)
	}
	s = strings.TrimLeft(s, "\r\n \t")
	line, rest, err := nextLine(s)
	if err != nil {
		line, rest = s, "" // the request line alone
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || !strings.HasPrefix(parts[2], "HTTP/") {
		return r, fmt.Errorf("%w: the first line must be \"METHOD /path HTTP/1.1\"", ErrRaw)
	}
	r.Method, r.URI = parts[0], parts[1]
	if !token(r.Method) {
		return r, fmt.Errorf("%w: bad method", ErrRaw)
	}
	if i := strings.Index(r.URI, "://"); i > 0 {
		after := r.URI[i+3:]
		slash := strings.IndexByte(after, '/')
		if slash < 0 {
			return r, fmt.Errorf("%w: absolute URL without a path", ErrRaw)
		}
		r.URI = after[slash:]
	}
	if !strings.HasPrefix(r.URI, "/") {
		return r, fmt.Errorf("%w: the request target must start with /", ErrRaw)
	}
	for {
		if rest == "" {
			break // headers only, no body
		}
		line, rest, err = nextLine(rest)
		if err != nil {
			// a last header line without a line ending
			line, rest = rest, ""
		}
		if line == "" {
			break
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok || !token(name) {
			return r, fmt.Errorf("%w: header line %d is not \"Name: value\"", ErrRaw, len(r.Headers)+1)
		}
		if len(r.Headers) == maxHeaders {
			return r, fmt.Errorf("%w: more than %d headers", ErrRaw, maxHeaders)
		}
		r.Headers = append(r.Headers, [2]string{name, strings.Trim(val, " \t")})
	}
	r.Body = []byte(rest)
	if cl := r.Header("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			return r, fmt.Errorf("%w: Content-Length is not a number", ErrRaw)
		}
		if n > len(r.Body) {
			return r, fmt.Errorf("%w: Content-Length %d but only %d body bytes", ErrRaw, n, len(r.Body))
		}
		r.Body = r.Body[:n]
	}
	if len(r.Body) == 0 {
		r.Body = nil
	}
	return r, nil
}

func nextLine(s string) (line, rest string, err error) {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return s, "", fmt.Errorf("%w: unterminated line", ErrRaw)
	}
	return strings.TrimSuffix(s[:i], "\r"), s[i+1:], nil
}

func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// Format renders r as raw HTTP/1.1 text (CRLF line endings) that ParseRaw reads back.
func (r Raw) Format() string {
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URI + " HTTP/1.1\r\n")
	for _, h := range r.Headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.String()
}
