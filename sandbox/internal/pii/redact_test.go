package pii

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		// Cards.
		{"masked/16-digit card", "card=4111111111111111;", "card=4111 **** **** 1111;"},
		{"masked/19-digit card in JSON", `{"acct":"6222021234567890128"}`, `{"acct":"6222 **** **** 0128"}`},
		{"masked/grouped 4-4-4-4", "pay 4111 1111 1111 1111 now", "pay 4111 **** **** 1111 now"},
		{"masked/grouped 4-4-4-4-3", "6222-0212-3456-7890-128.", "6222 **** **** 0128."},
		{"masked/Amex 4-6-5", "amex 3782 822463 10005", "amex 3782 **** **** 0005"},
		{"masked/13-digit card", "x 4222222222222 y", "x 4222 **** **** 2222 y"},
		{"masked/two cards", "4111111111111111,5555555555554444", "4111 **** **** 1111,5555 **** **** 4444"},
		{"masked/card then short group", "4111 1111 1111 1111 22 end", "4111 **** **** 1111 22 end"},
		{"masked/card after short group", "no 12 4111 1111 1111 1111", "no 12 4111 **** **** 1111"},
		{"masked/Chinese text around", "卡号6222021234567890128已冻结", "卡号6222 **** **** 0128已冻结"},
		{"unchanged/not Luhn-valid", "4111111111111112", "4111111111111112"},
		{"unchanged/part of a longer run", "41111111111111110000", "41111111111111110000"},
		{"unchanged/13-digit ms timestamp", "ts=1735689600000", "ts=1735689600000"},
		{"unchanged/grouped not Luhn-valid", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"unchanged/double space breaks a group", "4111  1111 1111 1111", "4111  1111 1111 1111"},
		// Resident IDs.
		{"masked/ID", "id 11010519491231002X ok", "id 110105********002X ok"},
		{"masked/ID lowercase x", "11010519491231002x", "110105********002x"},
		{"masked/ID digit check", "身份证310101198002290015。", "身份证310101********0015。"},
		{"masked/ID grouped 6-8-4", "110105 19491231 002X", "110105********002X"},
		{"masked/ID wrong check character", "110105194912310021", "110105********0021"},
		{"masked/18 digits not ID-shaped but Luhn-valid, as a card", "900000000000000001", "9000 **** **** 0001"},
		{"unchanged/18 digits neither ID-shaped nor Luhn-valid", "999999999999999999", "999999999999999999"},
		{"unchanged/17 digits and X, not a date", "12345678901234567X", "12345678901234567X"},
		{"unchanged/ID inside a longer run", "110105194912310021999", "110105194912310021999"},
		// Mobiles.
		{"masked/mobile", "tel:13812345678", "tel:138****5678"},
		{"masked/mobile 3-4-4", "call 138 1234 5678.", "call 138****5678."},
		{"masked/mobile dashes", "138-1234-5678", "138****5678"},
		{"masked/mobile 3-8", "138 12345678", "138****5678"},
		{"masked/mobile +86", "+86 138 1234 5678", "+86 138****5678"},
		{"masked/mobile +86 glued", "+8613812345678", "+86138****5678"},
		{"masked/mobile 0086", "008613812345678", "0086138****5678"},
		{"masked/mobile in letters", "TXN13812345678", "TXN138****5678"},
		{"unchanged/12-digit run", "138123456789", "138123456789"},
		{"unchanged/starts 12", "12012345678", "12012345678"},
		{"unchanged/10 digits", "1381234567", "1381234567"},
		// Mixed and plain text.
		{"masked/all three", "张三 11010519491231002X 13812345678 6222021234567890128",
			"张三 110105********002X 138****5678 6222 **** **** 0128"},
		{"unchanged/plain text", "POST /v1/payments 201 12ms", "POST /v1/payments 201 12ms"},
		{"unchanged/date and time", "2026-01-01 12:00:00", "2026-01-01 12:00:00"},
		{"unchanged/empty", "", ""},
		{"unchanged/already masked", "6222 **** **** 0128 138****5678 110105********002X",
			"6222 **** **** 0128 138****5678 110105********002X"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Redact(tc.in); got != tc.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// Not parallel: AllocsPerRun counts allocations of the whole process.
func TestRedactUnchangedDoesNotAllocate(t *testing.T) {
	in := "GET /v1/accounts?page=2 200 3ms trace=4f1c2d 2026-01-01T00:00:00+08:00 " + strings.Repeat("abc 123 ", 50)
	allocs := testing.AllocsPerRun(100, func() {
		if Redact(in) != in {
			t.Fatal("changed")
		}
	})
	if allocs != 0 {
		t.Fatalf("Redact allocated %.0f times on text with nothing to mask", allocs)
	}
}

func TestRedactLargeInputIsLinear(t *testing.T) {
	t.Parallel()
	// Pathological input for a backtracking matcher: a very long chunk of small groups.
	in := strings.Repeat("1 ", 200_000) + strings.Repeat("4111 ", 100_000)
	out := Redact(in)
	if len(out) < len(in)/2 {
		t.Fatalf("output unexpectedly short: %d", len(out))
	}
}

func BenchmarkRedact(b *testing.B) {
	inputs := map[string]string{
		"clean": `{"ts":"2026-01-01T00:00:00+08:00","app_id":"APP0001","uapi":"OP1234560100010100000100","status":200,"ms":12}`,
		"dirty": `{"ts":"2026-01-01T00:00:00+08:00","card":"6222021234567890128","id":"11010519491231002X","mobile":"13812345678"}`,
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				Redact(in)
			}
		})
	}
}
