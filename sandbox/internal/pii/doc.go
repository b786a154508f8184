// Package pii masks personal financial information in the bank's responses and
// redacts it from log text.
//
// JR/T 0185-2020 7.2.2 requires account numbers, card numbers and names returned to an
// application to be masked (脱敏) or de-identified, and 7.3.3 allows logs to record a
// payment account only partly masked and no other personal financial information. The
// masks here are the bank's single definition of "partly masked":
//
//	card or account number  6222 **** **** 1234      first 4 and last 4 digits; the middle
//	                                                 is always "**** ****", whatever its length
//	resident ID (18)        110105********002X       region code and last 4; the birth date
//	                                                 (characters 7-14) is hidden
//	resident ID (15, old)   110105******123          region code and order code
//	mobile number           138****5678              segment and last 4
//	name                    张*, 张**, 欧阳**         first character, or a compound surname
//
// Input that does not have the expected shape is never echoed: the Mask functions then
// return Masked. Redact finds card numbers, resident IDs and mobile numbers in free text
// (see its documentation for the exact rules) in one linear pass, without regular
// expressions, so it is safe on large or hostile input.
package pii
