package attention

// mergeDaily sums rows of one site, day and path into one, in the order
// each key first appears: one statement may not update a row twice.
func mergeDaily(rows []Daily) []Daily {
	at := make(map[dailyKey]int, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		k := dailyKey{site: r.Site, path: r.Path, day: r.Day}
		if i, ok := at[k]; ok {
			out[i].VisibleMS += r.VisibleMS
			out[i].Reports += r.Reports
			continue
		}
		at[k] = len(out)
		out = append(out, r)
	}
	return out
}

// mergeRounds sums rows of one site, session, round and path into one, in
// the order each key first appears.
func mergeRounds(rows []PageRound) []PageRound {
	at := make(map[pageRoundKey]int, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		k := pageRoundKey{site: r.Site, session: r.Session, path: r.Path, round: r.Round}
		if i, ok := at[k]; ok {
			out[i].VisibleMS += r.VisibleMS
			out[i].Reports += r.Reports
			out[i].Bytes += r.Bytes
			continue
		}
		at[k] = len(out)
		out = append(out, r)
	}
	return out
}
