package server

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/strictbody"
)

// decodeJSON reads every JSON body the bank accepts — API, admin and registration —
// through strictbody, the one strict path (JR/T 0185-2020 7.2.2/1).
func (s *Server) decodeJSON(contentType string, body []byte, v any) error {
	if s.d.Mutant.Is(mutant.AnyMediaType) {
		contentType = strictbody.JSONType
	}
	switch {
	case s.d.Mutant.Is(mutant.LenientJSON):
		// encoding/json's Decoder as banks use it: stops after the first value, last
		// duplicate wins, names match case-insensitively, bad UTF-8 becomes U+FFFD.
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
			return problem.BodyInvalid.WithDetail("request body must be a JSON object with the documented fields")
		}
		return strictbody.MediaType(contentType, strictbody.JSONType)
	case s.d.Mutant.Is(mutant.TypeNamesInErrors):
		if err := json.Unmarshal(body, v); err != nil {
			return problem.BodyInvalid.WithDetail("request body must be a JSON object with the documented fields: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return strictbody.JSON(contentType, body, v)
}

// decodeForm reads an application/x-www-form-urlencoded body (the OAuth endpoints,
// RFC 6749 3.2) through strictbody.
func (s *Server) decodeForm(contentType string, body []byte, allowed ...string) (url.Values, error) {
	if s.d.Mutant.Is(mutant.AnyMediaType) {
		contentType = strictbody.FormType
	}
	return strictbody.Form(contentType, body, allowed...)
}
