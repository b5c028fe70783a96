// Package soak runs a month of a hoster's store in minutes: traffic on a
// simulated clock (visitors who take their free round and leave, 402s,
// payments, attention reports), retention on its schedule, and restarts,
// against the real SQLite store. Its test reports the database size and
// the process memory per simulated day, and checks that both level off
// once retention starts and that no acknowledged payment is lost.
package soak
