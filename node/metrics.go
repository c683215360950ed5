package node

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/httpx"
	"github.com/walrus-go/walrus/storage"
)

// Prometheus metrics of a node. They are always counted; Config.Registerer
// exposes them (a registry holds one node's metrics: several nodes in one
// process each need their own registry, or prometheus.WrapRegistererWith).
// The shard and event-progress gauges are read from the store and the view
// at scrape time.

const metricsNamespace = "walrus_node"

type metrics struct {
	http          *httpx.Metrics
	slivers       *prometheus.CounterVec // source (upload, pending, blob_sync, shard_sync), type
	metadata      *prometheus.CounterVec // source
	syncs         *prometheus.CounterVec // result (synced, failed, inconsistent)
	syncsActive   prometheus.Gauge
	invalidations *prometheus.CounterVec // result: started, submitted, already_invalid, gave_up, …
	shardSlivers  *prometheus.CounterVec // type: slivers received by sync_shard
	recoveryBytes *prometheus.CounterVec // kind (symbols, metadata): BCS bytes fetched from peers to recover
	blobsDeleted  prometheus.Counter
	gcEpoch       prometheus.Gauge
	chainHeight   prometheus.Gauge
	eventsTotal   prometheus.Counter
}

func newMetrics() *metrics {
	ns := metricsNamespace
	return &metrics{
		http: httpx.NewMetrics(ns, 0.0005),
		slivers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "slivers_stored_total",
			Help: "Slivers stored, by source (upload, pending, blob_sync, shard_sync) and type."}, []string{"source", "type"}),
		metadata: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "metadata_stored_total",
			Help: "Blob metadata stored, by source."}, []string{"source"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "blob_syncs_total",
			Help: "Blob sync attempts by result (synced, failed, inconsistent)."}, []string{"result"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "invalid_blob_flows_total",
			Help: "Invalid-blob flows (inconsistency proof → f+1 certificate → invalidate_blob_id) started, and their outcomes."}, []string{"result"}),
		syncsActive: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "blob_syncs_in_progress",
			Help: "Blob sync jobs queued or running."}),
		shardSlivers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "shard_sync_slivers_total",
			Help: "Verified slivers received by shard sync (epoch change), by type."}, []string{"type"}),
		recoveryBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "recovery_download_bytes_total",
			Help: "BCS bytes fetched from other nodes to recover slivers (blob sync, shard recovery), by kind (symbols, metadata)."}, []string{"kind"}),
		blobsDeleted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "blobs_deleted_total",
			Help: "Blobs whose data was deleted (garbage collection, deletion, invalid blobs)."}),
		gcEpoch: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "gc_last_completed_epoch",
			Help: "Last epoch whose garbage collection completed."}),
		chainHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "chain_height",
			Help: "Latest chain height seen by the node (read with the committee)."}),
		eventsTotal: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "events_applied_total",
			Help: "Chain events handled by the event follower since start."}),
	}
}

// register adds the node's metrics and its scrape-time collector to r.
func (n *Node) registerMetrics(r prometheus.Registerer) error {
	m := n.metrics
	for _, c := range append(m.http.Collectors(), m.slivers, m.metadata,
		m.syncs, m.syncsActive, m.invalidations, m.shardSlivers, m.recoveryBytes, m.blobsDeleted, m.gcEpoch, m.chainHeight, m.eventsTotal, stateCollector{n}) {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

var (
	descShards = prometheus.NewDesc(metricsNamespace+"_shards", "Shards held by the node by status (owned or not).",
		[]string{"status", "owned"}, nil)
	descEpoch       = prometheus.NewDesc(metricsNamespace+"_epoch", "Current committee epoch as seen by the node.", nil, nil)
	descMember      = prometheus.NewDesc(metricsNamespace+"_committee_member", "1 if the node is in the current committee.", nil, nil)
	descCursor      = prometheus.NewDesc(metricsNamespace+"_event_cursor_height", "Block height of the last chain event handled (persisted cursor).", nil, nil)
	descLag         = prometheus.NewDesc(metricsNamespace+"_event_lag_blocks", "Chain height minus the height of the last event handled (also grows while the chain has no events).", nil, nil)
	descSyncPending = prometheus.NewDesc(metricsNamespace+"_shard_sync_pending", "Owned shards not ready (in transfer or recovery).", nil, nil)
)

// stateCollector reads the node's state at scrape time.
type stateCollector struct{ n *Node }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descShards, descEpoch, descMember, descCursor, descLag, descSyncPending} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.n
	v := n.view.Load()
	if v != nil {
		ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(v.epoch))
		member := 0.0
		if v.member {
			member = 1
		}
		ch <- prometheus.MustNewConstMetric(descMember, prometheus.GaugeValue, member)
	}
	if shards, err := n.store.Shards(); err == nil {
		type key struct {
			st    storage.ShardStatus
			owned bool
		}
		counts := map[key]int{}
		pending := 0
		for s, st := range shards {
			owned := v != nil && v.owns(int(s))
			counts[key{st, owned}]++
			if owned && (st == storage.ShardInTransfer || st == storage.ShardInRecovery) {
				pending++
			}
		}
		for k, c := range counts {
			ch <- prometheus.MustNewConstMetric(descShards, prometheus.GaugeValue, float64(c), k.st.String(), strconv.FormatBool(k.owned))
		}
		ch <- prometheus.MustNewConstMetric(descSyncPending, prometheus.GaugeValue, float64(pending))
	}
	if cur, ok, err := n.store.Cursor(); err == nil && ok {
		ch <- prometheus.MustNewConstMetric(descCursor, prometheus.GaugeValue, float64(cur.Height))
		if h := n.latestHeight.Load(); h >= cur.Height {
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(h-cur.Height))
		}
	}
}

// heightReader is implemented by chain clients that report the chain's
// height (*client.Client does); the node reads it with the committee.
type heightReader interface {
	LatestHeight(ctx context.Context) (uint64, error)
}

func (n *Node) readHeight(ctx context.Context) {
	hr, ok := n.cfg.Chain.(heightReader)
	if !ok {
		return
	}
	if h, err := hr.LatestHeight(ctx); err == nil {
		n.latestHeight.Store(h)
		n.metrics.chainHeight.Set(float64(h))
	}
}

func (m *metrics) storedSlivers(source string, t encoding.SliverType, k int) {
	m.slivers.WithLabelValues(source, t.String()).Add(float64(k))
}

// instrument counts a request by route pattern and status, with its bytes
// in and out.
func (m *metrics) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &httpx.Recorder{ResponseWriter: w}
		cr := &httpx.CountingBody{ReadCloser: r.Body}
		r.Body = cr
		h(cw, r)
		status := http.StatusOK // what net/http sends for a handler that wrote nothing
		if cw.WroteHeader {
			status = cw.Status
		}
		m.http.Observe(route, status, time.Since(start), cr.N, cw.Bytes)
	}
}
