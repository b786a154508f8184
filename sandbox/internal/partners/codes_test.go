package partners

import "testing"

// Known answers: unified social credit codes published on business licences (public
// registration records), and codes with one character changed.
func TestCheckUSCC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code string
		ok         bool
	}{
		{"valid/ICBC", "91100000100003962T", true},
		{"valid/Bank of China", "911000001000013428", true},
		{"valid/Huawei", "914403001922038216", true},
		{"valid/Tencent, organisation check X", "9144030071526726XG", true},
		{"valid/letters in the organisation code", "91350100M000100Y43", true},
		{"invalid/check character changed", "91100000100003962U", false},
		{"invalid/body digit changed", "91100000100003963T", false},
		{"invalid/17 characters", "91100000100003962", false},
		{"invalid/lower case", "9144030071526726xg", false},
		{"invalid/letter I not in the alphabet", "91I00000100003962T", false},
		{"invalid/letter in the division code", "911A0000100003962T", false},
		{"invalid/organisation check character", "91100000100003961T", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckUSCC(tc.code, false); (err == nil) != tc.ok {
				t.Errorf("CheckUSCC(%s) = %v, want ok=%v", tc.code, err, tc.ok)
			}
		})
	}
}

func TestCheckUSCCSkippingTheCheckCharacterStillChecksTheRest(t *testing.T) {
	t.Parallel()
	if err := CheckUSCC("91100000100003962U", true); err != nil {
		t.Errorf("only the final check character differs: %v", err)
	}
	if err := CheckUSCC("9110000010000396", true); err == nil {
		t.Error("a 16-character code was accepted")
	}
}

func TestCheckIDNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id string
		ok       bool
	}{
		{"valid/GB 11643 example", "11010519491231002X", true},
		{"valid/check digit 1", "110101199003070011", true},
		{"invalid/birth year before 1900", "440524188001010014", false},
		{"invalid/check changed", "110105194912310021", false},
		{"invalid/short", "11010519491231002", false},
		{"invalid/month 13", "110105194913310028", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckIDNumber(tc.id); (err == nil) != tc.ok {
				t.Errorf("CheckIDNumber(%s) = %v, want ok=%v", tc.id, err, tc.ok)
			}
		})
	}
}
