package server

import (
	"errors"
	"runtime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/health"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// serviceAdminRoutes: the operator's view of the service layer — health, audit-log
// verification, risk event notices — and the sandbox-only test controls (fault
// injection, audit tampering drill, clock reset).
func (s *Server) serviceAdminRoutes(g fiber.Router) {
	g.Get("/health", s.adminHealth)
	g.Get("/audit/verify", s.adminAuditVerify)
	g.Get("/apps/:id/events", s.adminAppEvents)
	if !s.d.Debug {
		return
	}
	if s.d.Faults != nil {
		g.Get("/faults", s.adminFaults)
		g.Post("/faults", s.adminInjectFault)
		g.Delete("/faults", s.adminClearFaults)
		g.Delete("/faults/:id", s.adminClearFault)
	}
	if s.d.AuditDrill != nil {
		g.Post("/audit/drill", s.adminAuditDrill)
	}
	if s.d.ClockCtl != nil {
		g.Post("/clock/reset", s.adminResetClock)
	}
}

// adminHealth is the servers' running state (JR/T 0185-2020 10.1.1/2a) from real probes
// (package health: a write to the storage, the disk's free space, the audit writer, the
// notifications' lag), resources and the interfaces degraded by a fault.
func (s *Server) adminHealth(c *fiber.Ctx) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	status, storage := "ok", "ok"
	if s.d.Ready != nil && s.d.Ready() != nil {
		status, storage = "down", "unavailable"
	}
	checks, reasons := []health.Check{}, []string{}
	if s.d.Health != nil {
		r := s.d.Health.Probe(c.UserContext())
		checks, reasons = r.Checks, r.Reasons
		if r.Status != health.OK {
			status = r.Status
		}
		if st := r.Check(health.CheckStorage).Status; st != health.OK {
			storage = "unavailable"
		} else if r.Check(health.CheckDisk).Status != health.OK {
			storage = "low-space"
		}
	}
	degraded := map[string][]string{}
	var active []faults.Fault
	if s.d.Faults != nil {
		degraded, active = s.d.Faults.Degraded(), s.d.Faults.List()
		s.d.Metrics.FaultsActive(len(active))
	}
	if status == "ok" && len(degraded) > 0 {
		status = "degraded"
	}
	if active == nil {
		active = []faults.Fault{}
	}
	return writeJSON(c, 200, fiber.Map{
		"status": status, "storage": storage, "serving": s.ready.Load(),
		"uptime_seconds": int64(time.Since(s.d.Started).Seconds()),
		"goroutines":     runtime.NumGoroutine(), "heap_alloc_bytes": ms.HeapAlloc, "sys_bytes": ms.Sys,
		"degraded_apis": degraded, "faults": active, "checks": checks, "reasons": reasons,
	})
}

func (s *Server) adminFaults(c *fiber.Ctx) error {
	return writeJSON(c, 200, fiber.Map{"faults": s.d.Faults.List()})
}

// adminInjectFault starts a fault (sandbox test control, 10.1.2/1c).
func (s *Server) adminInjectFault(c *fiber.Ctx) error {
	var spec faults.Spec
	if err := s.decode(c, &spec); err != nil {
		return err
	}
	if _, ok := s.d.Catalogue.ByID(spec.APIID); spec.APIID != "" && spec.APIID != faults.NotificationAPI && !ok {
		return problem.ParameterInvalid.WithDetail("api %q is not in the catalogue (nor %s, the payment notifications)", problem.Clip(spec.APIID), faults.NotificationAPI)
	}
	if _, ok := problem.Lookup(spec.Problem); spec.Problem != "" && !ok {
		return problem.ParameterInvalid.WithDetail("problem %q is not in the error catalogue (see /docs/errors)", problem.Clip(spec.Problem))
	}
	if spec.Kind == faults.RetiredKey && s.d.Spoiler.Retired == nil {
		return problem.ParameterInvalid.WithDetail("retired-key needs the bank's retired signing key, which only a sandbox-mode bank has")
	}
	if spec.AppID != "" {
		if _, err := s.d.Apps.Get(c.UserContext(), spec.AppID); err != nil {
			return err
		}
	}
	f, err := s.d.Faults.Inject(spec)
	if errors.Is(err, faults.ErrInvalid) || errors.Is(err, faults.ErrFull) {
		return problem.ParameterInvalid.WithDetail("%s", err.Error())
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	s.d.Metrics.FaultsActive(len(s.d.Faults.List()))
	s.d.Log.Warn("fault injected", "id", f.ID, "kind", string(f.Kind), "app_id", f.AppID, "api", f.APIID)
	return writeJSON(c, 201, fiber.Map{"fault": f})
}

func (s *Server) adminClearFault(c *fiber.Ctx) error {
	if !s.d.Faults.Clear(param(c, "id")) {
		return problem.AdminNotFound.WithDetail("no active fault %q", problem.Clip(param(c, "id")))
	}
	s.d.Metrics.FaultsActive(len(s.d.Faults.List()))
	return writeJSON(c, 200, fiber.Map{"cleared": 1})
}

// adminClearFaults ends the faults of one App_ID and/or one API (?app_id=&api=).
func (s *Server) adminClearFaults(c *fiber.Ctx) error {
	appID, apiID := strings.Clone(c.Query("app_id")), strings.Clone(c.Query("api"))
	if appID == "" && apiID == "" {
		return problem.ParameterInvalid.WithDetail("name app_id, api or both")
	}
	n := s.d.Faults.ClearScope(appID, apiID)
	s.d.Metrics.FaultsActive(len(s.d.Faults.List()))
	return writeJSON(c, 200, fiber.Map{"cleared": n})
}

type problemView struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func reportView(r audit.Report) fiber.Map {
	ps := make([]problemView, 0, len(r.Problems))
	for _, p := range r.Problems {
		ps = append(ps, problemView{p.Seq, p.Kind, p.Message})
	}
	return fiber.Map{"ok": r.OK, "records": r.Records, "checkpoints": r.Checkpoints,
		"last_checkpoint": r.LastCheckpoint, "uncovered": r.Uncovered, "problems": ps, "omitted": r.Omitted,
		"complete": r.Gaps == 0, "gaps": r.Gaps, "gap_problems": gapViews(r.GapProblems), "pending": r.Pending}
}

func gapViews(ps []audit.Problem) []problemView {
	out := make([]problemView, 0, len(ps))
	for _, p := range ps {
		out = append(out, problemView{p.Seq, p.Kind, p.Message})
	}
	return out
}

// adminAuditVerify verifies the live audit log: chain and signed checkpoints
// (JR/T 0185-2020 12.3/3), over the wire, like `sandbox verify-audit` on the file.
func (s *Server) adminAuditVerify(c *fiber.Ctx) error {
	if s.d.AuditVerify == nil {
		return problem.StateConflict.WithDetail("audit verification is not available")
	}
	rep, err := s.d.AuditVerify(c.UserContext())
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"report": reportView(rep)})
}

// adminAuditDrill (sandbox only) copies the live log, tampers with one record of the
// copy (alter, delete or overwrite) and verifies the copy: the report must name the
// record. The live log is never touched.
func (s *Server) adminAuditDrill(c *fiber.Ctx) error {
	var body struct {
		Seq    int64  `json:"seq"`
		Tamper string `json:"tamper"`
	}
	if err := s.decode(c, &body); err != nil {
		return err
	}
	if body.Seq <= 0 {
		return problem.ParameterInvalid.WithDetail("seq must be a record's positive sequence number")
	}
	if body.Tamper != audit.TamperAlter && body.Tamper != audit.TamperDelete && body.Tamper != audit.TamperOverwrite {
		return problem.ParameterInvalid.WithDetail("tamper must be alter, delete or overwrite")
	}
	rep, err := s.d.AuditDrill(c.UserContext(), body.Seq, body.Tamper)
	if errors.Is(err, audit.ErrNoSuchRecord) {
		return problem.AdminNotFound.WithDetail("no audit record %d", body.Seq)
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return writeJSON(c, 200, fiber.Map{"tampered": body.Seq, "tamper": body.Tamper, "copy": true, "report": reportView(rep)})
}

// adminAppEvents lists the signed event notices the bank issued to an app
// (JR/T 0185-2020 10.2.1/2: 及时通知应用方进行事件调查).
func (s *Server) adminAppEvents(c *fiber.Ctx) error {
	if _, err := s.d.Apps.Get(c.UserContext(), param(c, "id")); err != nil {
		return err
	}
	if s.d.Risk == nil {
		return writeJSON(c, 200, fiber.Map{"events": []any{}})
	}
	return writeJSON(c, 200, fiber.Map{"events": s.d.Risk.Events(param(c, "id"))})
}

// adminResetClock (sandbox only) returns the sandbox clock to wall time, so a scenario
// that advanced it (retention, expiry) can end its bank-global change at once.
func (s *Server) adminResetClock(c *fiber.Ctx) error {
	s.d.ClockCtl.Reset()
	s.d.Log.Warn("sandbox clock reset to wall time")
	return writeJSON(c, 200, fiber.Map{"now": s.d.ClockCtl.Now().UTC(), "offset_seconds": 0})
}
