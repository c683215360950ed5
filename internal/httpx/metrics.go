package httpx

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-route request metrics that the node's REST API and
// the publisher/aggregator both export: requests by route and status,
// latency, and body bytes in and out.
type Metrics struct {
	requests *prometheus.CounterVec   // route, status
	duration *prometheus.HistogramVec // route
	bytesIn  *prometheus.CounterVec   // route
	bytesOut *prometheus.CounterVec   // route
}

// NewMetrics returns the metrics named namespace_http_*; the latency
// histogram's buckets grow by 4 from firstBucket seconds.
func NewMetrics(namespace string, firstBucket float64) *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
			Help: "Requests by route and HTTP status (status 0: the answer was aborted before its header)."}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "Request latency by route (to the end of the answer).", Buckets: prometheus.ExponentialBuckets(firstBucket, 4, 10)}, []string{"route"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_request_bytes_total",
			Help: "Request body bytes read, by route."}, []string{"route"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_response_bytes_total",
			Help: "Response body bytes written, by route."}, []string{"route"}),
	}
}

// Collectors returns the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.bytesIn, m.bytesOut}
}

// Observe counts one request of route that ended with status after d,
// having read in and written out body bytes.
func (m *Metrics) Observe(route string, status int, d time.Duration, in, out int64) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
	m.bytesIn.WithLabelValues(route).Add(float64(in))
	m.bytesOut.WithLabelValues(route).Add(float64(out))
}

// Count counts one request of route with status and nothing else (a
// request no route matched).
func (m *Metrics) Count(route string, status int) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}
