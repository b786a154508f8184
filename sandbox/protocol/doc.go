// Package protocol is the published wire contract of the JR/T 0185-2020 sandbox bank:
// the Authorization header, the byte-exact strings that are signed or MACed, the
// response-signature headers, U_API_ID syntax, and SM2/SM3 helpers.
//
// It is deliberately small and public so that the bank and the bank-provided SDK share
// one definition, and a partner's build never pulls in the bank's internals
// (JR/T 0185-2020 6.1: the server-side SDK "主要实现商业银行通用接入算法的封装").
//
// # Request authentication (JR/T 0185-2020 7.2.1 a), 9.2.1 b), 9.2.2)
//
// Every API request carries one header:
//
//	Authorization: <scheme> app_id="<App_ID>",serial="<key serial>",timestamp="<unix seconds>",nonce="<nonce>",signature="<base64>"
//
// with scheme JR0185-HMAC-SM3 (A1: HMAC-SM3 keyed by the app's MAC key, see DeriveMACKey)
// or JR0185-SM2-SM3 (A2: SM2 signature with SM3, distinguishing ID 1234567812345678,
// DER-encoded, over the same string). The string to sign is, byte for byte:
//
//	HTTP method  "\n"
//	path with query, exactly as sent on the request line  "\n"
//	timestamp  "\n"
//	nonce  "\n"
//	body (empty for GET)  "\n"
//
// # Response integrity (JR/T 0185-2020 7.2.2, 9.2.2)
//
// Every response is signed by the bank's SM2 signing key over
//
//	timestamp "\n" nonce "\n" body "\n"
//
// carried in X-JR-Timestamp, X-JR-Nonce, X-JR-Signature and X-JR-Serial. A1 responses
// to a MAC-authenticated app also carry X-JR-MAC: HMAC-SM3 under the app's MAC key over
// the same string, so a partner without SM2 can still check integrity.
package protocol
