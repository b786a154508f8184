package steps

import "testing"

func TestCheckUAPIIDAppliesAnnexB(t *testing.T) {
	t.Parallel()
	const inst = "C9999911000001"
	tests := []struct {
		name, id string
		ok       bool
	}{
		{"valid/A1 product query", "OPC999990103000100000100", true},
		{"valid/A2 payment", "OPC999990202000100000200", true},
		{"invalid/25 characters", "OPC9999901030001000001000", false},
		{"invalid/fixed field", "OQC999990103000100000100", false},
		{"invalid/other institution", "OPC999980103000100000100", false},
		{"invalid/type 00", "OPC999990003000100000100", false},
		{"invalid/type letters", "OPC99999A103000100000100", false},
		{"invalid/first level 00", "OPC999990100000100000100", false},
		{"invalid/second level 0000", "OPC999990103000000000100", false},
		{"invalid/letter in category", "OPC99999010300010A000100", false},
		{"invalid/sequence 000000", "OPC999990103000100000000", false},
		{"invalid/reserved 01", "OPC999990103000100000101", false},
		{"invalid/space", "OPC99999 103000100000100", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := checkUAPIID(tc.id, inst); (err == nil) != tc.ok {
				t.Errorf("checkUAPIID(%s) = %v, want ok=%v", tc.id, err, tc.ok)
			}
		})
	}
}
