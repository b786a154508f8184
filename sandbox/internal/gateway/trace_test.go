package gateway

import (
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

func TestANilTraceRecordsNothingAndPassesErrorsThrough(t *testing.T) {
	var tr *Trace
	if tr.step(StepApp, problem.AppUnknown) != problem.AppUnknown || tr.step(StepApp, nil) != nil || tr.Checks() != nil {
		t.Fatal("nil trace misbehaves")
	}
	tr.credentials(protocol.Credentials{}, time.Now())
	tr.signature(true)
}

func TestTraceKeepsStepsInOrderWithCodes(t *testing.T) {
	var tr Trace
	tr.step(StepApp, nil)
	tr.step(StepSignature, problem.SignatureInvalid)
	got := tr.Checks()
	if len(got) != 2 || got[0].Step != "app" || got[0].Result != "pass" || got[0].Code != "" ||
		got[1].Step != "signature" || got[1].Result != "fail" || got[1].Code != "SIGNATURE_INVALID" {
		t.Fatalf("%+v", got)
	}
	for i := 0; i < 2*maxSteps; i++ {
		tr.step(StepNonce, nil)
	}
	if len(tr.Checks()) != maxSteps {
		t.Fatalf("trace grew past its bound: %d", len(tr.Checks()))
	}
}

func TestTraceSkewIsBankClockMinusTimestamp(t *testing.T) {
	now := time.Unix(1000, 0)
	var tr Trace
	tr.credentials(protocol.Credentials{Timestamp: "990", Nonce: string(make([]byte, 100))}, now)
	if tr.Skew != 10*time.Second || len(tr.Nonce) != 64 {
		t.Fatalf("skew %v nonce len %d", tr.Skew, len(tr.Nonce))
	}
	tr = Trace{}
	tr.credentials(protocol.Credentials{Timestamp: "soon"}, now)
	if tr.Skew != 0 {
		t.Fatalf("unparseable timestamp gave skew %v", tr.Skew)
	}
}
