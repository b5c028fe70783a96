package revenue

import (
	"encoding/csv"
	"io"
	"strconv"
)

// CSVHeader is the first line of WriteCSV's output.
var CSVHeader = []string{"site", "from", "to", "asset_code", "path", "visible_ms", "reports", "share_ppm", "amount"}

// WriteCSV writes the report as CSV: one line per page, then a line with
// path "(unallocated)" when there is unallocated income, and a line with
// path "(total)" holding the income.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(path string, ms, reports, ppm int64, amount Amount) []string {
		return []string{r.Site, r.From, r.To, r.AssetCode, path, strconv.FormatInt(ms, 10),
			strconv.FormatInt(reports, 10), strconv.FormatInt(ppm, 10), amount.String()}
	}
	cw.Write(CSVHeader)
	var reports int64
	for _, p := range r.Pages {
		cw.Write(row(p.Path, p.VisibleMS, p.Reports, p.SharePPM, p.Amount))
		reports += p.Reports
	}
	if r.Unallocated != 0 {
		cw.Write(row("(unallocated)", 0, 0, 0, r.Unallocated))
	}
	total := int64(0)
	if r.AttentionMS > 0 {
		total = 1_000_000
	}
	cw.Write(row("(total)", r.AttentionMS, reports, total, r.Income))
	cw.Flush()
	return cw.Error()
}
