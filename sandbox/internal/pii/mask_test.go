package pii

import "testing"

func TestMaskCard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"masked/19-digit ICBC", "6222021234567891234", "6222 **** **** 1234"},
		{"masked/16-digit CMB", "6225880012345678", "6225 **** **** 5678"},
		{"masked/13 digits", "4222222222222", "4222 **** **** 2222"},
		{"masked/spaces", "6222 0212 3456 7891 234", "6222 **** **** 1234"},
		{"masked/dashes", "6225-8800-1234-5678", "6225 **** **** 5678"},
		{"masked/25-digit account number", "1234567890123456789012345", "1234 **** **** 2345"},
		{"masked/not Luhn-checked", "6222021234567891235", "6222 **** **** 1235"},
		{"fully masked/12 digits", "622202123456", Masked},
		{"fully masked/26 digits", "12345678901234567890123456", Masked},
		{"fully masked/letters", "6222O21234567891234", Masked},
		{"fully masked/already masked", "6222 **** **** 1234", Masked},
		{"fully masked/empty", "", Masked},
		{"fully masked/short", "1234", Masked},
		{"fully masked/multi-byte", "６２２２０２１２３４５６７８９１２３４", Masked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskCard(tc.in); got != tc.want {
				t.Fatalf("MaskCard(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskResidentID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"masked/standard sample", "11010519491231002X", "110105********002X"},
		{"masked/digit check character", "310101198002290015", "310101********0015"},
		{"masked/lowercase x kept", "11010519491231002x", "110105********002x"},
		{"masked/surrounding spaces", " 11010519491231002X ", "110105********002X"},
		{"masked/wrong check character still masked", "110105194912310021", "110105********0021"},
		{"masked/15-digit first generation", "110105491231123", "110105******123"},
		{"fully masked/17 characters", "11010519491231002", Masked},
		{"fully masked/19 characters", "11010519491231002X1", Masked},
		{"fully masked/X inside", "1101051949123100X2", Masked},
		{"fully masked/empty", "", Masked},
		{"fully masked/already masked", "110105********002X", Masked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskResidentID(tc.in); got != tc.want {
				t.Fatalf("MaskResidentID(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskMobile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"masked/plain", "13812345678", "138****5678"},
		{"masked/spaces", "138 1234 5678", "138****5678"},
		{"masked/dashes", "138-1234-5678", "138****5678"},
		{"masked/+86", "+86 138 1234 5678", "138****5678"},
		{"masked/+86 no space", "+8613812345678", "138****5678"},
		{"masked/0086", "008613812345678", "138****5678"},
		{"masked/86", "8613812345678", "138****5678"},
		{"fully masked/10 digits", "1381234567", Masked},
		{"fully masked/12 digits", "138123456789", Masked},
		{"fully masked/landline", "01065123456", Masked},
		{"fully masked/plus inside", "138+12345678", Masked},
		{"fully masked/letters", "138abcd5678", Masked},
		{"fully masked/empty", "", Masked},
		{"fully masked/very long", "1381234567813812345678", Masked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskMobile(tc.in); got != tc.want {
				t.Fatalf("MaskMobile(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"masked/two characters", "张三", "张*"},
		{"masked/three characters", "张小明", "张**"},
		{"masked/compound surname", "欧阳娜娜", "欧阳**"},
		{"masked/compound surname, one given", "诸葛亮", "诸葛*"},
		{"masked/compound surname alone", "欧阳", "欧*"},
		{"masked/minority name with dot", "买买提·艾力", "买*****"},
		{"masked/Latin", "Li Lei", "L*****"},
		{"masked/one character", "张", "*"},
		{"masked/spaces trimmed", " 李四 ", "李*"},
		{"masked/invalid UTF-8", "\xff\xfe", "**"},
		{"empty/empty", "", ""},
		{"empty/spaces", "   ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskName(tc.in); got != tc.want {
				t.Fatalf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
