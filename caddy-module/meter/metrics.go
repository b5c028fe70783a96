package meter

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the meter's Prometheus series. They live in the zone's state
// so their counts survive config reloads, and are registered in each new
// config's metrics registry.
type metrics struct {
	bytes     prometheus.Counter
	freeBytes prometheus.Counter
	issued    prometheus.Counter
	refused   prometheus.Counter
	throttles prometheus.Counter
	throttled prometheus.Gauge
	powDenied prometheus.Counter
	evicted   prometheus.Counter
	labels    prometheus.Labels
}

func newMetrics(zone string) *metrics {
	zl := prometheus.Labels{"zone": zone}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "torplus", Name: name, Help: help, ConstLabels: zl})
	}
	return &metrics{
		bytes:     c("bytes_served_total", "Response body bytes sent to metered clients."),
		freeBytes: c("free_bytes_served_total", "Bytes sent to clients within their free round."),
		issued:    c("payment_requests_issued_total", "Payment requests issued."),
		refused:   c("payment_required_total", "Responses refused with 402 Payment Required."),
		throttles: c("throttled_responses_total", "Responses sent at throttled bandwidth."),
		throttled: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "torplus", Name: "throttled_sessions", ConstLabels: zl,
			Help: "Active sessions past their allowance (in grace or refused)."}),
		powDenied: c("pow_denied_total", "New sessions refused for a missing or bad proof-of-work stamp."),
		evicted:   c("sessions_evicted_total", "Never-paid sessions evicted from memory to make room (max_sessions)."),
		labels:    zl,
	}
}

// register adds the series, and an active-sessions gauge reading t, to reg.
func (m *metrics) register(reg prometheus.Registerer, t *table) error {
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "torplus", Name: "active_sessions", ConstLabels: m.labels,
		Help: "Client sessions held in memory."}, func() float64 { return float64(t.len()) })
	for _, c := range []prometheus.Collector{m.bytes, m.freeBytes, m.issued, m.refused, m.throttles, m.throttled, m.powDenied, m.evicted, active} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
		}
	}
	return nil
}
