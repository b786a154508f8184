package steps

// AUDIT-RECORDED (JR/T 0185-2020 7.3.3/1, 7.3.3/2a, 12.3/1: 交易流水号、应用唯一标识、接口
// 唯一标识、调用耗时、时间戳、返回结果): an accepted and a refused call of every interface
// each have one audit record, and its values are the call's — not merely present.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() { controlProbes["AUDIT-RECORDED"] = probeAuditRecorded }

// probeAuditRecorded sends the surface's correct request and the same signed over
// another body (refused for its signature, its App_ID known), each timed by the
// harness, and judges each one's audit record.
func probeAuditRecorded(ctx context.Context, p *prober, s surface) error {
	a, err := p.appFor(ctx, s, true) // a refused signature counts towards the App_ID's lockout
	if err != nil {
		return err
	}
	return acceptedAndRefused(ctx, p, a, s, FaultOtherBody, func(x *Exchange, sent time.Time, rtt time.Duration) error {
		if err := audited(ctx, a, s, x, sent, rtt); err != nil {
			return fmt.Errorf("%s: %w", x.Evidence(), err)
		}
		return nil
	})
}

// audited fetches the call's one audit record (polled: the audit writer batches) and
// checks each 7.3.3 item against the call.
func audited(ctx context.Context, a *App, s surface, x *Exchange, sent time.Time, rtt time.Duration) error {
	rid := x.RequestID()
	if rid == "" {
		return fmt.Errorf("the answer has no X-Request-Id")
	}
	rec, err := auditRecord(ctx, rid)
	if err != nil {
		return err
	}
	var bad []string
	want := func(field string, got any, want string) {
		if fmt.Sprint(got) != want {
			bad = append(bad, fmt.Sprintf("%s %v, want %q", field, got, want))
		}
	}
	want("request_id", rec["request_id"], rid)
	want("app_id", rec["app_id"], a.ID)
	want("u_api_id", rec["u_api_id"], s.API.UAPIID)
	want("method", rec["method"], s.API.Method)
	want("status", int(toFloat(rec["status"])), strconv.Itoa(x.Status))
	result := "success"
	if x.Status >= 400 {
		result = "failure"
	}
	want("result", rec["result"], result)
	code, _ := rec["code"].(string)
	if x.Status >= 400 {
		want("code", code, x.Code())
	} else {
		want("code", code, "")
	}
	if h := x.Header.Get("X-JR-U-API-ID"); h != s.API.UAPIID {
		bad = append(bad, fmt.Sprintf("the answer's X-JR-U-API-ID %q, want the published %q", h, s.API.UAPIID))
	}
	want("path", rec["path"], x.URI)
	us, ok := rec["duration_us"].(float64)
	if !ok || us <= 0 || time.Duration(us)*time.Microsecond > rtt {
		bad = append(bad, fmt.Sprintf("duration_us %v, want above zero and at most the %d µs the harness measured for the round trip", rec["duration_us"], rtt.Microseconds()))
	}
	if err := recordedWithin(rec, x, sent, rtt); err != nil {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return fmt.Errorf("the audit record of request %s: %s", rid, strings.Join(bad, "; "))
	}
	return nil
}

// recordedWithin checks the record's time falls within the call on the bank's clock:
// the harness's send and receive times, moved by the bank's clock offset as its signed
// X-JR-Timestamp shows it (whole seconds, hence a second of slack either side).
func recordedWithin(rec map[string]any, x *Exchange, sent time.Time, rtt time.Duration) error {
	ts, _ := rec["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return fmt.Errorf("time %q is not an RFC 3339 time", ts)
	}
	received := sent.Add(rtt)
	var skew time.Duration
	if bank, err := strconv.ParseInt(x.Header.Get("X-JR-Timestamp"), 10, 64); err == nil {
		skew = time.Unix(bank, 0).Sub(received.Truncate(time.Second))
	}
	from, to := sent.Add(skew-time.Second), received.Add(skew+time.Second)
	if at.Before(from) || at.After(to) {
		return fmt.Errorf("time %s is outside the call, %s to %s on the bank's clock", at.UTC().Format(time.RFC3339Nano),
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	return nil
}
