package steps

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

func init() { registrars = append(registrars, registerTransport) }

var tlsVersions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// JR/T 0185-2020 9.2.2/3: TLS 1.2 and later only.
func registerTransport(sc *godog.ScenarioContext) {
	sc.Step(`^the app calls "([A-Z]+) ([^"]+)" over TLS (1\.2|1\.3) exactly$`, func(ctx context.Context, method, uri, v string) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		x, err := w.Env.Do(ctx, Call{App: a, Method: method, URI: uri, TLSVersion: tlsVersions[v]}, nil)
		if err != nil {
			return err
		}
		w.record(x)
		return nil
	})
	sc.Step(`^the connection used TLS (1\.[0-3])$`, func(ctx context.Context, v string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if x.TLS != tlsVersions[v] {
			return fmt.Errorf("the connection used %s, want TLS %s", tls.VersionName(x.TLS), v)
		}
		return nil
	})
	sc.Step(`^a client sends a plain HTTP request to the bank's API port$`, func(ctx context.Context) error {
		w := W(ctx)
		u, err := url.Parse(w.Env.T.BaseURL)
		if err != nil {
			return err
		}
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := fmt.Fprintf(conn, "GET /a1/v1/products HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", u.Host); err != nil {
			w.Vars["plain.answer"] = ""
			w.Note("plain HTTP to %s: write refused (%v)", u.Host, err)
			return nil
		}
		line, _ := bufio.NewReader(conn).ReadString('\n')
		w.Vars["plain.answer"] = line
		w.Note("plain HTTP to %s: first line of the answer %q", u.Host, clip(line, 80))
		return nil
	})
	sc.Step(`^the bank does not serve it$`, func(ctx context.Context) error {
		// A bank may answer 400 ("this is an HTTPS port") in the clear, as Go's net/http
		// does; any other HTTP answer means it served the request without TLS.
		line := W(ctx).Vars["plain.answer"]
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[0], "HTTP/") && f[1] != "400" {
			return fmt.Errorf("the bank answered a plain HTTP request: %q", line)
		}
		return nil
	})
}
