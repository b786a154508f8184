#!/usr/bin/env bash
# A JR/T 0185-2020 partner integration written with curl and openssl only, driven by the
# conformance harness through the driver contract's command transport
# (features/partner/README-sh.md; steps/driver):
#
#   JR0185_DRIVER_STATE=/some/dir partner.sh <action> < params.json > envelope.json
#
# stdin is the action's parameters (a JSON object), stdout the envelope
# ({"ok":true,"result":{...}} or {"ok":false,"error":{"code","message"}}), stderr this
# partner's log: one line per bank call (method, path, status, request id, U_API_ID; never a
# token, secret or account number). JR0185_DRIVER_STATE keeps the keys, the bank's
# configuration and the user's tokens between actions; private keys and tokens are
# written there only, mode 0600.
#
# Actions: hello configure reset list_products start_link finish_link accounts balance
# revoke history. Everything else answers "unsupported" (holdings and payments need
# SM4-GCM, which the openssl command line does not offer).
#
# Tools: bash, curl, openssl 3 (SM2, SM3), jq, coreutils.
set -Eeuo pipefail
umask 077

readonly NAME="sh-partner (curl + openssl)"
readonly REDIRECT_URI="https://sh-partner.test/callback"
readonly DISTID="distid:1234567812345678" # SM2 distinguishing ID on the wire (GM/T 0009 default)
ACTION=${1:-}
ANSWERED=0

# ---- envelope and log ------------------------------------------------------------------

answer_ok() { # $1: the result object (JSON)
	local r=${1:-}
	if [ -z "$r" ] || ! jq -e 'type == "object"' >/dev/null 2>&1 <<<"$r"; then
		log "could not build the result of $ACTION"
		answer_fail internal "could not build the result of $ACTION (see the log)"
	fi
	jq -cn --argjson r "$r" '{ok: true, result: $r}'
	ANSWERED=1
	exit 0
}

answer_fail() { # $1: error code, $2: message
	jq -cn --arg c "$1" --arg m "$2" '{ok: false, error: {code: $c, message: $m}}'
	ANSWERED=1
	exit 0
}

log() { printf '%s sh-partner: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

on_error() {
	[ "$BASH_SUBSHELL" = 0 ] || exit 1 # inside $(...): let the caller fail
	[ "$ANSWERED" = 1 ] && return
	log "internal error at line $1"
	answer_fail internal "partner.sh failed at line $1 (see its log)"
}
trap 'on_error $LINENO' ERR

[ -n "${JR0185_DRIVER_STATE:-}" ] || answer_fail internal "JR0185_DRIVER_STATE is not set"
STATE=$JR0185_DRIVER_STATE
mkdir -p "$STATE"
chmod 700 "$STATE"
KEYS=$STATE/keys
TMP=$(mktemp -d "$STATE/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PARAMS=$(cat)
[ -n "$(printf '%s' "$PARAMS" | tr -d ' \t\r\n')" ] || PARAMS='{}'
jq -e 'type == "object"' >/dev/null 2>&1 <<<"$PARAMS" || answer_fail invalid "the parameters are not a JSON object"

param() { jq -r --arg k "$1" '.[$k] // "" | if type == "string" then . else tostring end' <<<"$PARAMS"; }
cfg() { jq -r --arg k "$1" '.[$k] // ""' "$STATE/config.json"; }

need_config() { [ -s "$STATE/config.json" ] || answer_fail invalid "not configured: run configure first"; }

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

urldecode() { # percent-decoding of a query component ('+' is a space)
	local s=${1//+/ }
	s=${s//\\/\\\\}
	printf '%b' "${s//%/\\x}"
}

history_add() { # $1 kind, $2 detail
	jq -cn --arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg k "$1" --arg d "$2" '{time: $t, kind: $k, detail: $d}' >>"$STATE/history.jsonl"
}

# ---- HMAC-SM3 (A1) ----------------------------------------------------------------------
# RFC 2104 over SM3 with the key read from a file, so that neither the App_Secret nor the
# derived key K ever appears on a command line (ps) — openssl's -hmac/-macopt take it there.

hmac_sm3() { # $1 key file (raw bytes), $2 message file; prints base64(HMAC-SM3)
	local khex ipad="" opad="" i b
	if [ "$(wc -c <"$1")" -gt 64 ]; then
		khex=$(openssl dgst -sm3 -binary "$1" | od -An -tx1 -v | tr -d ' \n')
	else
		khex=$(od -An -tx1 -v "$1" | tr -d ' \n')
	fi
	while [ ${#khex} -lt 128 ]; do khex+=00; done
	for ((i = 0; i < 128; i += 2)); do
		b=$((16#${khex:i:2}))
		printf -v ipad '%s\\x%02x' "$ipad" $((b ^ 0x36))
		printf -v opad '%s\\x%02x' "$opad" $((b ^ 0x5c))
	done
	printf '%b' "$ipad" >"$TMP/hmac.ipad"
	printf '%b' "$opad" >"$TMP/hmac.opad"
	cat "$TMP/hmac.ipad" "$2" | openssl dgst -sm3 -binary >"$TMP/hmac.inner"
	cat "$TMP/hmac.opad" "$TMP/hmac.inner" | openssl dgst -sm3 -binary | base64 -w0
	rm -f "$TMP/hmac.ipad" "$TMP/hmac.opad" "$TMP/hmac.inner"
}

# ---- the bank's signing certificates ---------------------------------------------------

load_bank_certs() { # $1 PEM bundle file: one <serial>.pub and <serial>.valid per certificate in $STATE/bank-sign
	local dir=$STATE/bank-sign new f serial nb na
	new=$(mktemp -d "$TMP/bank-sign.XXXXXX")
	awk -v d="$new" '/-----BEGIN CERTIFICATE-----/{n++} n{print > (d "/cert" n ".pem")}' "$1"
	for f in "$new"/cert*.pem; do
		[ -e "$f" ] || continue
		serial=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
		openssl x509 -in "$f" -noout -pubkey >"$new/$serial.pub"
		# The certificate's validity (epoch seconds): a retired key's certificate stays
		# published for verifying history, but nothing fresh is accepted under it.
		nb=$(date -d "$(openssl x509 -in "$f" -noout -startdate | cut -d= -f2)" +%s)
		na=$(date -d "$(openssl x509 -in "$f" -noout -enddate | cut -d= -f2)" +%s)
		printf '%s %s\n' "$nb" "$na" >"$new/$serial.valid"
		rm -f "$f"
	done
	rm -rf "$dir"
	mv -T "$new" "$dir" 2>/dev/null || rm -rf "$new"
}

valid_now() { # $1 serial: its certificate is valid at this second (both ends inclusive)
	local nb na now
	read -r nb na <"$STATE/bank-sign/$1.valid" || return 1
	now=$(date +%s)
	[ "$now" -ge "$nb" ] && [ "$now" -le "$na" ]
}

refresh_bank_certs() { # fetch the published certificates (after a bank key rotation)
	local status
	status=$(curl -sS --proto =https --tlsv1.2 --cacert "$STATE/ca.pem" --max-time 5 -o "$TMP/certs.pem" -w '%{http_code}' \
		"$(cfg bank_url)/pki/bank-sign-certs.pem") || return 1
	log "bank call GET /pki/bank-sign-certs.pem -> $status"
	[ "$status" = 200 ] || return 1
	load_bank_certs "$TMP/certs.pem"
}

# ---- one signed call --------------------------------------------------------------------
# bank_call METHOD PATH_WITH_QUERY BODY_FILE(or "") a1|a2 [CONTENT_TYPE] [ACCESS_TOKEN]
# Sets STATUS, BODY (file), CODE (the bank's catalogued code), RID, RETRY_AFTER.
# OUTCOME is "ok" when the answer's signature verified (whatever the status), "integrity"
# when it did not (INTEGRITY says why; the answer must not be used), "none" when no answer
# came. (It always returns 0, so that errexit stays in force inside it.)

CALLS=0
bank_call() {
	local method=$1 path=$2 body=$3 mode=$4 ctype=${5:-} token=${6:-}
	local d ts nonce scheme serial sig rts rnonce rsig rserial pub mac
	CALLS=$((CALLS + 1))
	d=$TMP/call$CALLS
	mkdir "$d"
	if [ -n "$body" ]; then cp "$body" "$d/req.body"; else : >"$d/req.body"; fi
	ts=$(date +%s)
	nonce=$(openssl rand -hex 16)
	{
		printf '%s\n%s\n%s\n%s\n' "$method" "$path" "$ts" "$nonce"
		cat "$d/req.body"
		printf '\n'
	} >"$d/req.sts"
	if [ "$mode" = a1 ]; then
		scheme=JR0185-HMAC-SM3 serial=$(cfg app_secret_serial)
		sig=$(hmac_sm3 "$KEYS/mac.key" "$d/req.sts")
	else
		scheme=JR0185-SM2-SM3 serial=$(cfg sign_serial)
		openssl pkeyutl -sign -inkey "$KEYS/sign.key" -rawin -digest sm3 -pkeyopt "$DISTID" \
			-in "$d/req.sts" -out "$d/req.sig"
		sig=$(base64 -w0 "$d/req.sig")
	fi
	{
		printf 'Authorization: %s app_id="%s",serial="%s",timestamp="%s",nonce="%s",signature="%s"\n' \
			"$scheme" "$(cfg app_id)" "$serial" "$ts" "$nonce" "$sig"
		printf 'Accept: application/json\n'
		[ -z "$ctype" ] || printf 'Content-Type: %s\n' "$ctype"
		[ -z "$token" ] || printf 'X-JR-Access-Token: %s\n' "$token"
	} >"$d/req.headers" # a file, so the token is never on curl's command line
	local args=(-sS --proto =https --tlsv1.2 --cacert "$STATE/ca.pem" --max-time 5 -X "$method"
		-H "@$d/req.headers" -D "$d/resp.headers" -o "$d/resp.body" -w '%{http_code}')
	[ "$mode" = a1 ] || args+=(--cert "$KEYS/client.crt" --key "$KEYS/client.key")
	[ ! -s "$d/req.body" ] || args+=(--data-binary "@$d/req.body")
	STATUS="" CODE="" RID="" UAPI="" RETRY_AFTER="" BODY=$d/resp.body INTEGRITY="" OUTCOME=none
	if ! STATUS=$(curl "${args[@]}" "$(cfg bank_url)$path" 2>"$d/curl.err"); then
		log "bank call $method ${path%%\?*} -> no answer ($(tr '\n' ' ' <"$d/curl.err"))"
		OUTCOME=none
		return 0
	fi
	hdr() { grep -i "^$1:" "$d/resp.headers" | tail -n 1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r' || true; }
	RID=$(hdr X-Request-Id)
	UAPI=$(hdr X-JR-U-API-ID)
	RETRY_AFTER=$(hdr Retry-After)
	rts=$(hdr X-JR-Timestamp) rnonce=$(hdr X-JR-Nonce) rsig=$(hdr X-JR-Signature) rserial=$(hdr X-JR-Serial)
	# JR/T 0185-2020 9.2.2: the answer counts only if the bank's SM2 signature verifies.
	if [ -z "$rts" ] || [ -z "$rnonce" ] || [ -z "$rsig" ] || [ -z "$rserial" ]; then
		INTEGRITY="the answer is not signed"
	elif ! [[ $rserial =~ ^[0-9a-f]{1,64}$ ]]; then
		INTEGRITY="the answer names a malformed key serial"
	else
		pub=$STATE/bank-sign/$rserial.pub
		if [ ! -s "$pub" ] && refresh_bank_certs; then :; fi
		{
			printf '%s\n%s\n' "$rts" "$rnonce"
			cat "$d/resp.body"
			printf '\n'
		} >"$d/resp.sts"
		if [ ! -s "$pub" ]; then
			INTEGRITY="the answer is signed with an unknown bank key"
		elif ! valid_now "$rserial"; then
			INTEGRITY="the answer is signed with a bank key whose certificate is not valid now"
		elif ! printf '%s' "$rsig" | base64 -d >"$d/resp.sig" 2>/dev/null; then
			INTEGRITY="the answer's signature is not base64"
		elif ! openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -digest sm3 -pkeyopt "$DISTID" \
			-in "$d/resp.sts" -sigfile "$d/resp.sig" >/dev/null 2>&1; then
			INTEGRITY="the answer's signature does not verify"
		elif [ "$mode" = a1 ] && mac=$(hdr X-JR-MAC) && [ -n "$mac" ] && [ "$mac" != "$(hmac_sm3 "$KEYS/mac.key" "$d/resp.sts")" ]; then
			INTEGRITY="the answer's MAC does not verify"
		fi
	fi
	if [ -n "$INTEGRITY" ]; then
		log "bank call $method ${path%%\?*} -> $STATUS request_id=${RID:-none} uapi_id=${UAPI:-none} REFUSED: $INTEGRITY"
		OUTCOME=integrity
		return 0
	fi
	CODE=$(jq -r 'if type == "object" then .code // "" else "" end' "$BODY" 2>/dev/null || true)
	log "bank call $method ${path%%\?*} -> $STATUS${CODE:+ $CODE} request_id=${RID:-none} uapi_id=${UAPI:-none} signature verified"
	OUTCOME=ok
}

# call METHOD PATH BODY MODE [CTYPE] [TOKEN]: bank_call with retries of GETs on 429/503
# (Retry-After honoured, at most 5 s, 3 attempts), and the envelope answered for an
# integrity failure or no answer.
call() {
	local attempt wait
	for attempt in 1 2 3; do
		bank_call "$@"
		[ "$OUTCOME" != integrity ] || answer_fail integrity_failure "$INTEGRITY (request ${RID:-none}); the answer was not used"
		[ "$OUTCOME" != none ] || answer_fail bank_error "the bank did not answer"
		if [ "$1" != GET ] || { [ "$STATUS" != 429 ] && [ "$STATUS" != 503 ]; } || [ $attempt = 3 ]; then
			break
		fi
		wait=${RETRY_AFTER:-1}
		[[ $wait =~ ^[0-9]+$ ]] || wait=1
		[ "$wait" -le 5 ] || wait=5
		log "bank asked to retry later ($STATUS $CODE); waiting ${wait}s"
		sleep "$wait"
	done
	[ "$STATUS" != 429 ] || answer_fail rate_limited "the bank answered 429 $CODE (request $RID)"
}

bank_error() { answer_fail bank_error "${CODE:-HTTP $STATUS} (HTTP $STATUS, request ${RID:-none})"; }

# ---- the user's tokens ------------------------------------------------------------------

token_call() { # $1 the form body; answers for failures, leaves the verified 200 body in BODY
	printf '%s' "$1" >"$TMP/token.form"
	call POST /a2/v1/oauth/token "$TMP/token.form" a2 application/x-www-form-urlencoded
}

save_token() { # written whole, then renamed: a reader never sees half a token set
	jq '{access_token, refresh_token, scope, consent_id}' "$BODY" >"$TMP/token.json"
	mv -f "$TMP/token.json" "$STATE/token.json"
}

relink() { # the grant is gone: forget it
	rm -f "$STATE/token.json"
	history_add revocation "the bank ended the grant ($CODE)"
	answer_fail relink_required "the user must consent again: the bank answered $CODE (request ${RID:-none})"
}

refresh_token() { # REFRESHED=1 when a new token set was saved
	local rt
	REFRESHED=0
	rt=$(jq -r '.refresh_token // ""' "$STATE/token.json")
	[ -n "$rt" ] || return 0
	token_call "$(jq -rn --arg r "$rt" '"grant_type=refresh_token&refresh_token=\($r | @uri)"')"
	[ "$STATUS" = 200 ] || return 0
	save_token
	REFRESHED=1
	log "access token refreshed"
}

# user_call METHOD PATH: an A2 call for the linked user; refreshes an expired access token
# once; a grant the bank ended answers relink_required.
user_call() {
	[ -s "$STATE/token.json" ] || answer_fail not_linked "no user has linked accounts yet"
	local try
	for try in 1 2; do
		call "$1" "$2" "" a2 "" "$(jq -r .access_token "$STATE/token.json")"
		case "$STATUS:$CODE" in
		401:TOKEN_EXPIRED | 401:TOKEN_INVALID)
			if [ $try = 1 ]; then
				refresh_token
				[ "$REFRESHED" = 0 ] || continue
				[ "${STATUS:0:1}" != 5 ] || bank_error # the bank is down: the grant may well live
			fi
			relink
			;;
		*:TOKEN_REVOKED | *:CONSENT_REVOKED | *:CONSENT_EXPIRED) relink ;;
		esac
		break
	done
	[ "$STATUS" = 200 ] || bank_error
}

# ---- actions ----------------------------------------------------------------------------

do_hello() {
	if [ ! -s "$KEYS/client.crt" ]; then
		local new k
		new=$(mktemp -d "$TMP/keys.XXXXXX")
		# Mutual TLS client certificate (ECDSA P-256), registered with the bank by fingerprint.
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$new/client.key" 2>/dev/null
		openssl req -new -x509 -key "$new/client.key" -sha256 -days 365 -subj "/O=JR0185 shell test partner/CN=sh-partner" \
			-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=clientAuth" -out "$new/client.crt" 2>/dev/null
		# SM2 signing key and a separate SM2 encryption key (JR/T 0185-2020 7.3.4/1).
		for k in sign enc; do
			openssl genpkey -algorithm SM2 -out "$new/$k.key" 2>/dev/null
			openssl pkey -in "$new/$k.key" -pubout -out "$new/$k.pub"
		done
		chmod 600 "$new"/*.key
		# Atomic: a concurrent hello that lost the race keeps the winner's keys.
		if mv -T "$new" "$KEYS" 2>/dev/null; then
			log "generated the client certificate and the SM2 signing and encryption keys"
		else
			rm -rf "$new"
		fi
	fi
	answer_ok "$(jq -n --arg n "$NAME" --arg r "$REDIRECT_URI" --rawfile c "$KEYS/client.crt" \
		--rawfile s "$KEYS/sign.pub" --rawfile e "$KEYS/enc.pub" \
		'{name: $n, client_cert_pem: $c, sign_public_key_pem: $s, enc_public_key_pem: $e, redirect_uri: $r,
		  language: "sh", version: "1"}')"
}

do_configure() {
	[ -s "$KEYS/sign.key" ] || answer_fail invalid "run hello first"
	local k
	for k in bank_url app_id app_secret app_secret_serial sign_serial ca_pem bank_sign_certs_pem; do
		[ -n "$(param $k)" ] || answer_fail invalid "configure needs $k"
	done
	[[ $(param bank_url) =~ ^https://[^/?#]+$ ]] || answer_fail invalid "bank_url must be https://host:port"
	param ca_pem >"$STATE/ca.pem"
	param bank_sign_certs_pem >"$TMP/certs.pem"
	param bank_enc_cert_pem >"$STATE/bank-enc.crt"
	load_bank_certs "$TMP/certs.pem"
	[ -n "$(ls "$STATE/bank-sign")" ] || answer_fail invalid "bank_sign_certs_pem holds no certificate"
	# A1 MAC key K = HMAC-SM3(App_Secret, App_ID); the App_Secret itself is not kept.
	param app_secret | tr -d '\n' >"$TMP/secret"
	param app_id | tr -d '\n' >"$TMP/app_id"
	hmac_sm3 "$TMP/secret" "$TMP/app_id" | base64 -d >"$KEYS/mac.key"
	chmod 600 "$KEYS/mac.key"
	rm -f "$TMP/secret"
	# configure may come again (DRIVER.md) and replaces the configuration; the user's
	# grant is kept while the App_ID stays the same (it belongs to that App_ID).
	if [ "$(jq -r '.app_id // ""' "$STATE/config.json" 2>/dev/null || true)" != "$(param app_id)" ]; then
		rm -f "$STATE/token.json" "$STATE/link.json" "$STATE/history.jsonl"
	fi
	jq 'del(.app_secret, .ca_pem, .bank_sign_certs_pem, .bank_enc_cert_pem) | .bank_url |= rtrimstr("/")' <<<"$PARAMS" >"$TMP/config.json"
	mv -f "$TMP/config.json" "$STATE/config.json"
	log "configured for app $(param app_id) at $(param bank_url)"
	answer_ok '{}'
}

do_reset() {
	rm -f "$STATE/token.json" "$STATE/link.json" "$STATE/history.jsonl"
	answer_ok '{}'
}

do_list_products() {
	need_config
	local page=1 all='[]' total
	while :; do
		call GET "/a1/v1/products?page=$page&page_size=50" "" a1
		[ "$STATUS" = 200 ] || bank_error
		all=$(jq -c --argjson all "$all" '$all + [.items[] | {product_id: .code, name}]' "$BODY")
		total=$(jq -r '.total // 0' "$BODY")
		if [ "$(jq length <<<"$all")" -ge "$total" ] || [ "$(jq '.items | length' "$BODY")" = 0 ] || [ $page -ge 100 ]; then
			break
		fi
		page=$((page + 1))
	done
	answer_ok "$(jq -c '{products: .}' <<<"$all")"
}

do_start_link() {
	need_config
	local scopes days verifier challenge state url
	scopes=$(jq -r '(.scopes // []) | join(" ")' <<<"$PARAMS")
	[ -n "$scopes" ] || answer_fail invalid "start_link needs scopes"
	days=$(param valid_days)
	[ -z "$days" ] || [[ $days =~ ^[0-9]+$ ]] || answer_fail invalid "valid_days must be a number"
	# PKCE S256 (RFC 7636) and a one-time state against cross-site request forgery.
	verifier=$(openssl rand 32 | b64url)
	challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
	state=$(openssl rand 16 | b64url)
	url=$(jq -rn --arg b "$(cfg bank_url)" --arg c "$(cfg app_id)" --arg r "$REDIRECT_URI" --arg s "$scopes" \
		--arg st "$state" --arg ch "$challenge" --arg d "$days" \
		'$b + "/oauth/authorize?response_type=code&client_id=\($c | @uri)&redirect_uri=\($r | @uri)&scope=\($s | @uri)" +
		 "&state=\($st | @uri)&consent_type=account_info&code_challenge=\($ch)&code_challenge_method=S256" +
		 (if $d != "" then "&valid_days=\($d)" else "" end)')
	jq -n --arg v "$verifier" --arg s "$state" --arg sc "$scopes" '{verifier: $v, state: $s, scopes: $sc}' >"$STATE/link.json"
	answer_ok "$(jq -n --arg u "$url" '{authorization_url: $u}')"
}

do_finish_link() {
	need_config
	local redirect query pair key val code="" state="" err="" desc=""
	redirect=$(param redirect_url)
	[ "${redirect%%\?*}" = "$REDIRECT_URI" ] || answer_fail invalid "the redirect does not go to $REDIRECT_URI"
	[ -s "$STATE/link.json" ] || answer_fail invalid "no authorization is in progress"
	query=${redirect#*\?}
	query=${query%%#*}
	IFS='&' read -r -a pairs <<<"$query"
	for pair in "${pairs[@]}"; do
		key=$(urldecode "${pair%%=*}")
		val=$(urldecode "${pair#*=}")
		case "$key" in
		code) code=$val ;; state) state=$val ;; error) err=$val ;; error_description) desc=$val ;;
		esac
	done
	if [ "$state" != "$(jq -r .state "$STATE/link.json")" ]; then
		log "redirect refused: its state is not the one this partner sent"
		answer_fail invalid "the redirect's state does not match the authorization this partner started"
	fi
	local verifier
	verifier=$(jq -r .verifier "$STATE/link.json")
	rm -f "$STATE/link.json" # one redirect per authorization
	[ -z "$err" ] || answer_fail bank_error "the authorization ended with $err${desc:+: $desc}"
	[ -n "$code" ] || answer_fail invalid "the redirect carries no code"
	token_call "$(jq -rn --arg c "$code" --arg v "$verifier" --arg r "$REDIRECT_URI" \
		'"grant_type=authorization_code&code=\($c | @uri)&code_verifier=\($v | @uri)&redirect_uri=\($r | @uri)"')"
	[ "$STATUS" = 200 ] || bank_error
	jq -e '.access_token | type == "string" and length > 0' "$BODY" >/dev/null || answer_fail bank_error "the token answer has no access_token"
	save_token
	history_add authorization "the user consented to $(jq -r .scope "$STATE/token.json")"
	answer_ok "$(jq -c '{scopes: (.scope // "" | split(" ") | map(select(. != "")))}' "$STATE/token.json")"
}

do_accounts() {
	need_config
	user_call GET /a2/v1/accounts
	answer_ok "$(jq -c '{accounts: [.accounts[] | {account_id, masked: .account_number_masked}]}' "$BODY")"
}

do_balance() {
	need_config
	local id
	id=$(param account_id)
	[[ $id =~ ^[A-Za-z0-9_-]{1,64}$ ]] || answer_fail invalid "account_id must be the bank's account id"
	user_call GET "/a2/v1/accounts/$id/balance"
	answer_ok "$(jq -c '{account_id, available, currency}' "$BODY")"
}

do_revoke() {
	need_config
	[ -s "$STATE/token.json" ] || answer_fail not_linked "no user has linked accounts yet"
	local kind tok
	for kind in refresh_token access_token; do
		tok=$(jq -r --arg k $kind '.[$k] // ""' "$STATE/token.json")
		[ -n "$tok" ] || continue
		jq -rn --arg t "$tok" '"token=\($t | @uri)"' | tr -d '\n' >"$TMP/revoke.form"
		call POST /a2/v1/oauth/revoke "$TMP/revoke.form" a2 application/x-www-form-urlencoded
		[ "$STATUS" = 200 ] || bank_error
	done
	rm -f "$STATE/token.json"
	history_add revocation "the user's grant was revoked at the bank"
	answer_ok '{}'
}

do_history() {
	[ -s "$STATE/history.jsonl" ] || answer_ok '{"events": []}'
	answer_ok "$(jq -cs '{events: .}' "$STATE/history.jsonl")"
}

case "$ACTION" in
hello) do_hello ;;
configure) do_configure ;;
reset) do_reset ;;
list_products) do_list_products ;;
start_link) do_start_link ;;
finish_link) do_finish_link ;;
accounts) do_accounts ;;
balance) do_balance ;;
revoke) do_revoke ;;
history) do_history ;;
"") answer_fail invalid "usage: partner.sh <action> < params.json" ;;
*) answer_fail unsupported "partner.sh does not implement $ACTION" ;;
esac
