package bank

import (
	"context"
	"crypto/ecdsa"
	"fmt"
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
	lookup := func(serial string) (*ecdsa.PublicKey, error) {
		keys, err := BankKeys(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if k, ok := keys[serial]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no bank signing key with serial %s", serial)
	}
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
			return log.Drill(ctx, seq, kind, lookup)
		}
	}
	return d
}
