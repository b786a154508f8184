package bank_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// forbidden matches what must never appear in a response or header: stack traces,
// library, runtime or server names, SQL, file paths and internal addresses
// (JR/T 0185-2020 7.1/7).
var forbidden = regexp.MustCompile(`(?i)(goroutine|panic|runtime\.|\.go:\d|fiber|fasthttp|golang|go1\.\d|gmsm|modernc|sqlite|database|sql:|syntax error|select .* from|insert into|/root/|/home/|/tmp/|/usr/|/var/|\\\\|127\.0\.0\.1|localhost|\b10\.\d+\.\d+\.\d+|192\.168\.|::1|stack trace|exception)`)

// hostileRequests are raw HTTP/1.1 requests sent over TLS, so that malformed ones reach
// the server exactly as written.
// framing marks the requests whose attack is in the HTTP framing rather than the route;
// they are sent to one route of each group only.
const framingFrom = 3

func hostileRequests(route string) []string {
	method, path, _ := strings.Cut(route, " ")
	path = strings.ReplaceAll(path, ":id", "APPX'%20OR%201=1--")
	path = strings.ReplaceAll(path, ":action", "approve")
	path = strings.ReplaceAll(path, ":serial", "..%2f..%2fetc%2fpasswd")
	path = strings.ReplaceAll(path, ":code", "DEP0001'%3B--")
	path = strings.ReplaceAll(path, ":api", "%00")
	path = strings.ReplaceAll(path, "*", "x")
	host := "Host: bank\r\n"
	big := strings.Repeat("A", 20000)
	return []string{
		method + " " + path + " HTTP/1.1\r\n" + host + "Authorization: JR0185-HMAC-SM3 app_id=\"'\",serial=\"1\"\r\n\r\n",
		method + " " + path + "?page=-1&page_size=%ZZ&q=%00%ff HTTP/1.1\r\n" + host + "\r\n",
		method + " " + path + " HTTP/1.1\r\n" + host + "Authorization: Bearer wrong\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":\"\\u",
		method + " " + path + " HTTP/1.1\r\n" + host + "Authorization: Bearer " + big + "\r\n\r\n",
		method + " " + path + " HTTP/1.1\r\n" + host + "Content-Length: 99999999\r\n\r\nxx",
		method + " " + path + " HTTP/1.1\r\n" + host + "Content-Length: abc\r\n\r\n",
		method + " " + path + " HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nboom\r\n",
		method + " " + path + " HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"BREW " + path + " HTTP/1.1\r\n" + host + "\r\n",
		method + " " + path + " HTTP/9.9\r\n" + host + "\r\n",
		method + " /" + strings.Repeat("../", 30) + "etc/passwd HTTP/1.1\r\n" + host + "\r\n",
		method + " " + path + " HTTP/1.1\r\nBad Header Line\r\n" + host + "\r\n",
		"\x16\x03\x01garbage\r\n\r\n",
	}
}

func TestNoInternalDetailInAnyResponse(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	routes := tb.b.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered: %v", len(routes), routes)
	}
	tlsCfg := tb.http.Transport.(*http.Transport).TLSClientConfig
	checked := 0
	framingDone := map[string]bool{}
	for _, route := range append(routes, "GET /no/such/route", "DELETE /a2/v1/x") {
		group := strings.SplitN(strings.SplitN(route, " ", 2)[1], "/", 3)[1]
		for i, raw := range hostileRequests(route) {
			if i >= framingFrom && framingDone[group] {
				continue
			}
			conn, err := tls.Dial("tcp", tb.b.Addr, tlsCfg)
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, raw); err != nil {
				conn.Close()
				continue
			}
			_ = conn.CloseWrite() // no more bytes: a request promising more must not wait out a timeout
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil { // the server may close a hopeless connection without an answer
				conn.Close()
				continue
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			conn.Close()
			checked++
			if i == len(hostileRequests(route))-1 {
				framingDone[group] = true
			}
			where := fmt.Sprintf("%s, hostile request %d", route, i)
			if resp.StatusCode >= 500 {
				t.Errorf("%s: status %d: %s", where, resp.StatusCode, body)
			}
			var hdr strings.Builder
			_ = resp.Header.Write(&hdr)
			if m := forbidden.FindString(hdr.String() + string(body)); m != "" && !strings.HasPrefix(route, "GET /docs") && route != "GET /" {
				t.Errorf("%s: response reveals %q:\n%s\n%s", where, m, hdr.String(), body)
			}
			if resp.Header.Get("Server") != "" || resp.Header.Get("X-Powered-By") != "" {
				t.Errorf("%s: server identification header present", where)
			}
			if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: error %d is not a catalogued problem: %q %s", where, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	}
	if checked < len(routes)*framingFrom {
		t.Fatalf("only %d hostile requests got an answer", checked)
	}
	t.Logf("%d hostile requests over %d routes answered without leaking", checked, len(routes))
}
