package main

import (
	"fmt"
	"slices"
)

// ingestFloor is the least reports/s ingestion must reach, whatever its
// baseline.
const ingestFloor = 20_000

// ingestRows are the attention ingestion rows of BenchmarkIngest's output
// (go test -bench Ingest -count N): per database, reports/s over the
// same-run baseline (a plain batched insert at the same durability,
// measured in slices alternating with ingestion), the median and range of
// the per-run ratios against the target of 0.8, failing also under
// ingestFloor reports/s.
func ingestRows(path string) ([]row, error) {
	var rows []row
	for _, db := range []string{"SQLite", "PostgreSQL"} {
		name := "BenchmarkIngest/" + db
		figure := func(unit string) ([]float64, error) { return benchValuesOf(path, name, unit) }
		ratios, err := figure("ratio")
		if err != nil {
			return nil, err
		}
		ingest, err := figure("reports/s")
		if err != nil {
			return nil, err
		}
		base, err := figure("baseline/s")
		if err != nil {
			return nil, err
		}
		figs := fmt.Sprintf("ingest %.0f reports/s · baseline %.0f rows/s", median(ingest), median(base))
		if per, err := figure("reports/commit"); err == nil {
			figs += fmt.Sprintf(" · %.0f reports/commit", median(per))
		}
		if cpu, err := figure("cpu-ns/report"); err == nil {
			figs += fmt.Sprintf(" · %.1f µs CPU/report", median(cpu)/1000)
		}
		r := row{What: "attention reports ingested (" + db + ") / same-run plain batched insert",
			Figures: figs, Ratio: median(ratios), Lo: slices.Min(ratios), Hi: slices.Max(ratios), Target: 0.8, Higher: true}
		if median(ingest) < ingestFloor {
			r.Fails = fmt.Sprintf("under %d reports/s", ingestFloor)
		}
		rows = append(rows, r)
	}
	return rows, nil
}
