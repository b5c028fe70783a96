package main

import (
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
)

// printBanner says, once the server runs, what it does with visitors:
// whether metering is on, at what price, and where the dashboard is.
// The flags were checked by serveConfig, so they parse here.
func printBanner(w io.Writer, o serveOptions) {
	m := o.meter
	if m.payTo == "" {
		fmt.Fprintln(w, "metering: off, every visitor is served free (give --pay-to to get paid, or try --demo)")
	} else {
		h, _ := meterHandler(m, storeConfig(o.dataDir))
		free := "no free round"
		if h.FreeRound >= 0 {
			free = "a free round of " + sizeText(h.FreeRound, "5 MB")
		}
		budget := "no bound on free bytes"
		if h.FreeBytesPerMinute > 0 {
			budget = "free bytes bounded to " + sizeText(h.FreeBytesPerMinute, "") + "/minute for all visitors together"
		}
		code := m.assetCode
		if code == "" {
			code = "TPT"
		}
		fmt.Fprintf(w, "metering: on, %s per visitor, then %s %s per %s round, paid to %s; %s\n",
			free, h.Price, code, sizeText(h.RoundBytes, "50 MB"), m.payTo, budget)
	}
	if o.dashboard != "" && o.dashboard != "off" {
		fmt.Fprintf(w, "dashboard: http://%s/ (this machine only)\n", o.dashboard)
	}
}

// sizeText renders n bytes, or def when n is 0 (the handler's default).
func sizeText(n int64, def string) string {
	if n == 0 {
		return def
	}
	return humanize.Bytes(uint64(n))
}
