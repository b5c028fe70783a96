package payreq

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseChallengeList(t *testing.T) {
	id, _ := ParseID(strings.Repeat("0f", 32))
	pr := Request{ID: id, Method: Method, Destination: "G", AssetCode: "TPT", AssetIssuer: "G",
		Amount: StroopsPerUnit, NetworkPassphrase: "n", Bytes: 5, ExpiresAt: time.Unix(1_800_000_000, 0).UTC(), URI: "web+stellar:pay?x=1"}
	good := pr.Challenge()
	req := good[strings.Index(good, "request="):]
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{name: "as rendered", header: good},
		{name: "after another challenge", header: `Basic realm="x", ` + good},
		{name: "after a token68 challenge", header: `Negotiate YWJj==, ` + good},
		{name: "before another challenge", header: good + `, Bearer realm="y"`},
		{name: "unquoted values, spaces", header: `payment  id = ` + pr.ID.String() + ` ,method=stellar, ` + strings.ReplaceAll(req, `"`, "")},
		{name: "escaped quote", header: `Payment id="` + pr.ID.String() + `", method="st\ellar", ` + req},
		{name: "no payment challenge", header: `Basic realm="x"`, want: ErrBadChallenge},
		{name: "other method", header: strings.Replace(good, "stellar", "lightning", 1), want: ErrBadChallenge},
		{name: "id mismatch", header: strings.Replace(good, pr.ID.String(), strings.Repeat("0e", 32), 1), want: ErrBadChallenge},
		{name: "bad base64", header: `Payment id="` + pr.ID.String() + `", method="stellar", request="***"`, want: ErrBadChallenge},
		{name: "bad JSON", header: `Payment id="` + pr.ID.String() + `", method="stellar", request="e30x"`, want: ErrBadChallenge},
		{name: "unterminated", header: `Payment id="` + pr.ID.String(), want: ErrBadChallenge},
		{name: "repeated param", header: good + `, id="x"`, want: ErrBadChallenge},
		{name: "huge", header: good + strings.Repeat(" ", MaxChallenge), want: ErrBadChallenge},
		{name: "empty", header: "", want: ErrBadChallenge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenge(tc.header)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("ParseChallenge = %+v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if err != nil || got != pr {
				t.Fatalf("ParseChallenge = %+v, %v", got, err)
			}
		})
	}
}
