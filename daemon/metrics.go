package daemon

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/internal/httpx"
)

const metricsNamespace = "walrus_daemon"

// metrics are always counted; Config.Registerer exposes them.
type metrics struct {
	http *httpx.Metrics
	shed *prometheus.CounterVec // api (store, read), reason (queue_full, queue_timeout)
}

func newMetrics() *metrics {
	ns := metricsNamespace
	return &metrics{
		http: httpx.NewMetrics(ns, 0.001),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_shed_total",
			Help: "Requests refused for load: queue_full (429) or queue_timeout (503), by API (store, read)."}, []string{"api", "reason"}),
	}
}

func (m *metrics) register(r prometheus.Registerer, s *Server) error {
	gauge := func(name, help, api string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: name, Help: help,
			ConstLabels: prometheus.Labels{"api": api}}, f)
	}
	for _, c := range append(m.http.Collectors(), m.shed,
		gauge("in_flight", "Operations in progress.", "store", func() float64 { return float64(s.stores.inFlight()) }),
		gauge("in_flight", "Operations in progress.", "read", func() float64 { return float64(s.reads.inFlight()) }),
		gauge("queued", "Requests waiting for a slot.", "store", func() float64 { return float64(s.stores.waiting()) }),
		gauge("queued", "Requests waiting for a slot.", "read", func() float64 { return float64(s.reads.waiting()) }),
	) {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// respWriter records the answer and the route name for the metrics.
type respWriter struct {
	*httpx.Recorder
	route string
}

// setRoute names the route of a request whose pattern is not its name.
func setRoute(w http.ResponseWriter, route string) {
	if rw, ok := w.(*respWriter); ok {
		rw.route = route
	}
}

// wroteHeader reports whether the answer's header is sent already.
func wroteHeader(w http.ResponseWriter) bool {
	rw, ok := w.(*respWriter)
	return ok && rw.WroteHeader
}

// instrument counts every request and turns a handler's panic into a 500
// (or an aborted answer if its header is sent already).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &respWriter{Recorder: &httpx.Recorder{ResponseWriter: w}}
		var body *httpx.CountingBody
		if r.Body != nil {
			body = &httpx.CountingBody{ReadCloser: r.Body}
			r.Body = body
		}
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				s.cfg.Logger.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", p)
				if !rw.WroteHeader {
					writeError(rw, errorf(http.StatusInternalServerError, "INTERNAL", ReasonInternal, "internal error"))
					p = nil
				}
			}
			route := rw.route
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				route = routeUnknown
			}
			status := 0
			switch {
			case rw.WroteHeader:
				status = rw.Status
			case p == nil:
				status = http.StatusOK // net/http sends 200 for a handler that wrote nothing
			}
			var in int64
			if body != nil {
				in = body.N
			}
			s.metrics.http.Observe(route, status, time.Since(start), in, rw.Bytes)
			if p != nil {
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}
