package fakedata

import "fmt"

// Carriers of mainland mobile numbers.
const (
	CarrierMobile   = "中国移动"
	CarrierUnicom   = "中国联通"
	CarrierTelecom  = "中国电信"
	CarrierBroadnet = "中国广电"
	CarrierMVNO     = "虚拟运营商" // mobile virtual network operators
)

// MobilePrefix is an allocated three-digit mainland mobile number segment (号段).
type MobilePrefix struct {
	Prefix  string
	Carrier string
}

// mobilePrefixes lists the voice segments allocated by MIIT to the carriers. Data-only
// IoT segments (13-digit numbers) are left out. Mobile() draws only from the three
// big carriers; ValidateMobile accepts every entry.
var mobilePrefixes = []MobilePrefix{
	// China Mobile.
	{"134", CarrierMobile}, {"135", CarrierMobile}, {"136", CarrierMobile}, {"137", CarrierMobile},
	{"138", CarrierMobile}, {"139", CarrierMobile}, {"147", CarrierMobile}, {"150", CarrierMobile},
	{"151", CarrierMobile}, {"152", CarrierMobile}, {"157", CarrierMobile}, {"158", CarrierMobile},
	{"159", CarrierMobile}, {"178", CarrierMobile}, {"182", CarrierMobile}, {"183", CarrierMobile},
	{"184", CarrierMobile}, {"187", CarrierMobile}, {"188", CarrierMobile}, {"195", CarrierMobile},
	{"197", CarrierMobile}, {"198", CarrierMobile},
	// China Unicom.
	{"130", CarrierUnicom}, {"131", CarrierUnicom}, {"132", CarrierUnicom}, {"145", CarrierUnicom},
	{"155", CarrierUnicom}, {"156", CarrierUnicom}, {"166", CarrierUnicom}, {"175", CarrierUnicom},
	{"176", CarrierUnicom}, {"185", CarrierUnicom}, {"186", CarrierUnicom}, {"196", CarrierUnicom},
	// China Telecom.
	{"133", CarrierTelecom}, {"149", CarrierTelecom}, {"153", CarrierTelecom}, {"173", CarrierTelecom},
	{"177", CarrierTelecom}, {"180", CarrierTelecom}, {"181", CarrierTelecom}, {"189", CarrierTelecom},
	{"190", CarrierTelecom}, {"191", CarrierTelecom}, {"193", CarrierTelecom}, {"199", CarrierTelecom},
	// China Broadnet.
	{"192", CarrierBroadnet},
	// Virtual operators.
	{"162", CarrierMVNO}, {"165", CarrierMVNO}, {"167", CarrierMVNO}, {"170", CarrierMVNO},
	{"171", CarrierMVNO},
}

var mobileCarrier = func() map[string]string {
	m := make(map[string]string, len(mobilePrefixes))
	for _, p := range mobilePrefixes {
		m[p.Prefix] = p.Carrier
	}
	return m
}()

// generatedMobilePrefixes are the segments Mobile() draws from: the three big carriers.
var generatedMobilePrefixes = func() []string {
	var out []string
	for _, p := range mobilePrefixes {
		switch p.Carrier {
		case CarrierMobile, CarrierUnicom, CarrierTelecom:
			out = append(out, p.Prefix)
		}
	}
	return out
}()

// MobilePrefixes returns a copy of the embedded segment table.
func MobilePrefixes() []MobilePrefix { return append([]MobilePrefix(nil), mobilePrefixes...) }

// CarrierOf returns the carrier of a mobile number by its first three digits.
func CarrierOf(mobile string) (string, bool) {
	if len(mobile) < 3 {
		return "", false
	}
	c, ok := mobileCarrier[mobile[:3]]
	return c, ok
}

// ValidateMobile checks s as a mainland mobile number: exactly 11 ASCII digits (no
// "+86", spaces or dashes) starting with an allocated segment. Errors wrap ErrFormat or
// ErrPrefix and never echo the number (JR/T 0185-2020 7.3.3).
func ValidateMobile(s string) error {
	if len(s) != 11 {
		return fmt.Errorf("%w: mobile number must be 11 digits, got %d characters", ErrFormat, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: mobile number character %d must be a digit", ErrFormat, i+1)
		}
	}
	if _, ok := mobileCarrier[s[:3]]; !ok {
		return fmt.Errorf("%w: mobile number segment %s is not allocated to a mainland carrier", ErrPrefix, s[:3])
	}
	return nil
}
