package bank

import (
	"context"
	"time"

	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/monitor"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/observe"
	"github.com/jr0185/harness/sandbox/internal/risk"
	"github.com/jr0185/harness/sandbox/internal/server"
)

// serviceDeps wires the service layer's monitoring rules and, in sandbox mode, its test
// controls (fault injection, audit tampering drill).
func serviceDeps(cfg Config, clk clock.Clock, alarms *monitor.Alarms, log *audit.Log) server.ServiceDeps {
	d := server.ServiceDeps{
		Risk:    risk.NewWatcher(risk.Options{Threshold: cfg.AbnormalFailures}),
		Surge:   monitor.NewSurge(alarms, monitor.SurgeOptions{}),
		Started: time.Now(),
		AuditVerify: func(ctx context.Context) (audit.Report, error) {
			if err := log.Flush(); err != nil {
				return audit.Report{}, err
			}
			return VerifyAudit(ctx, cfg.DataDir)
		},
	}
	if cfg.Sandbox() {
		d.Faults = faults.New(clk.Now)
		d.Observe = observe.New(observe.Options{}) // what each App_ID sent (partner-side suite)
		// The faults-take-down-all-apis mutant: no fault isolation (10.1.2/1).
		d.Faults.IgnoreAPIScope = cfg.Mutants().Is(mutant.FaultsTakeDownAll)
		d.AuditDrill = func(ctx context.Context, seq int64, kind string) (audit.Report, error) {
			keys, err := BankKeys(cfg.DataDir) // once per drill; an unreadable folder fails each lookup
			return log.Drill(ctx, seq, kind, keyLookup(keys, err))
		}
	}
	return d
}
