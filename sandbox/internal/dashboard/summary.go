package dashboard

import (
	"sort"

	"github.com/jr0185/harness/sandbox/internal/observe"
)

// Summary is the metrics panel: volume, latency and success rate of the calls in the
// feed's backlog (the most recent observe.FeedBacklog events), plus the refused
// handshakes among them.
type Summary struct {
	Calls       int     `json:"calls"`
	Succeeded   int     `json:"succeeded"` // HTTP 2xx
	Refused     int     `json:"refused"`   // HTTP 4xx
	Failed      int     `json:"failed"`    // HTTP 5xx or no answer
	RateLimited int     `json:"rate_limited"`
	SuccessRate float64 `json:"success_rate"` // succeeded / calls, 0..1 (0 with no calls)
	P50MS       int64   `json:"p50_ms"`
	P95MS       int64   `json:"p95_ms"`
	MaxMS       int64   `json:"max_ms"`
	Handshakes  int     `json:"refused_handshakes"`
	Apps        int     `json:"apps"` // distinct App_IDs
	Notices     int     `json:"notifications"`
}

// Summarize computes the panel from events (oldest first).
func Summarize(events []observe.Event) Summary {
	var s Summary
	var lat []int64
	apps := map[string]bool{}
	for _, e := range events {
		if e.Handshake != nil {
			s.Handshakes++
			continue
		}
		o := e.Observation
		if o == nil {
			continue
		}
		apps[e.AppID] = true
		if o.Kind == observe.KindNotification {
			s.Notices++
			continue
		}
		s.Calls++
		lat = append(lat, o.DurationMS)
		switch {
		case o.Status >= 200 && o.Status < 300:
			s.Succeeded++
		case o.Status == 429:
			s.RateLimited++
			s.Refused++
		case o.Status >= 400 && o.Status < 500:
			s.Refused++
		default:
			s.Failed++
		}
	}
	s.Apps = len(apps)
	if s.Calls > 0 {
		s.SuccessRate = float64(s.Succeeded) / float64(s.Calls)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		s.P50MS, s.P95MS, s.MaxMS = lat[(len(lat)-1)*50/100], lat[(len(lat)-1)*95/100], lat[len(lat)-1]
	}
	return s
}
