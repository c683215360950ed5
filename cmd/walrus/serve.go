package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/client"
	"github.com/walrus-go/walrus/daemon"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// Defaults of the publisher, aggregator and daemon commands (Walrus's).
const (
	defaultBindAddress    = "127.0.0.1:31415"
	defaultMetricsAddress = "127.0.0.1:27182"
	defaultMaxBodyKiB     = 10_240
	shutdownGrace         = 10 * time.Second
)

// serveOptions are the flags of the HTTP commands.
type serveOptions struct {
	bind, metrics         string
	maxBodyKiB            int64
	maxConcurrentRequests int
	burnAfterStore        bool
	jwt                   jwtOptions
}

// jwtOptions are Walrus's authenticated-publisher flags.
type jwtOptions struct {
	secret, algorithm string
	expiringSec       int64
	verifyUpload      bool
	cacheSize         int
	cacheRefresh      time.Duration
}

// authConfig returns the publisher's JWT configuration: nil (an open
// publisher) unless --jwt-decode-secret, a positive --jwt-expiring-sec or
// --jwt-verify-upload is given, as Walrus decides.
func (o jwtOptions) authConfig() (*daemon.AuthConfig, error) {
	if o.secret == "" && o.expiringSec <= 0 && !o.verifyUpload {
		return nil, nil
	}
	if o.cacheSize <= 0 || o.cacheRefresh <= 0 {
		return nil, cmdline.Usagef("--jwt-cache-size and --jwt-cache-refresh-interval must be positive")
	}
	cfg := &daemon.AuthConfig{Secret: o.secret, Algorithm: o.algorithm, ExpiringSec: o.expiringSec, VerifyUpload: o.verifyUpload,
		CacheSize: o.cacheSize, CacheRefreshInterval: o.cacheRefresh}
	if err := cfg.Validate(); err != nil {
		return nil, cmdline.Usagef("%v", err)
	}
	return cfg, nil
}

func (a *app) serveCommands() []*cobra.Command {
	return []*cobra.Command{
		a.serveCommand("publisher", "Run a publisher: stores blobs PUT to /v1/blobs with the wallet", true, false),
		a.serveCommand("aggregator", "Run an aggregator: serves blobs at /v1/blobs/<id>", false, true),
		a.serveCommand("daemon", "Run a publisher and an aggregator on one address", true, true),
	}
}

func (a *app) serveCommand(name, short string, publisher, aggregator bool) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long: short + ".\nThe Walrus HTTP API (reference §8); metrics in Prometheus form on --metrics-address\n" +
			"(empty to disable). Stops on Ctrl-C, letting requests in progress finish.",
		Args: cmdline.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.maxBodyKiB <= 0 || o.maxConcurrentRequests <= 0 {
				return cmdline.Usagef("--max-body-size and --max-concurrent-requests must be positive")
			}
			if _, err := o.jwt.authConfig(); err != nil {
				return err
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			if publisher {
				if err := needWallet(conn); err != nil {
					return err
				}
			}
			url, stop, err := a.startDaemon(conn.Client, o, publisher, aggregator)
			if err != nil {
				return err
			}
			defer stop()
			if a.json {
				a.printJSON(map[string]string{"url": url, "metrics": metricsURL(o.metrics)})
			} else {
				fmt.Fprintf(a.stdout, "%s serving on %s\n", name, url)
				if o.metrics != "" {
					fmt.Fprintf(a.stdout, "metrics on %s\n", metricsURL(o.metrics))
				}
			}
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bind, "bind-address", defaultBindAddress, "address to serve the HTTP API on")
	f.StringVar(&o.metrics, "metrics-address", defaultMetricsAddress, "address to serve metrics on (empty: none)")
	f.Int64Var(&o.maxBodyKiB, "max-body-size", defaultMaxBodyKiB, "largest blob a store accepts, in KiB")
	f.IntVar(&o.maxConcurrentRequests, "max-concurrent-requests", daemon.DefaultMaxConcurrentRequests, "stores in progress at once")
	if publisher {
		f.BoolVar(&o.burnAfterStore, "burn-after-store", false, "burn each new Blob object not sent or shared, instead of keeping it in the wallet")
		f.StringVar(&o.jwt.secret, "jwt-decode-secret", "", "authenticated publisher: the JWT secret or public key (0x and hex, or the string's bytes); stores need Authorization: Bearer <JWT>")
		f.StringVar(&o.jwt.algorithm, "jwt-algorithm", "", "JWT algorithm: HS256 (default), HS384, HS512, ES256, ES384, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA")
		f.Int64Var(&o.jwt.expiringSec, "jwt-expiring-sec", 0, "if positive, tokens need iat with exp - iat equal to this many seconds")
		f.BoolVar(&o.jwt.verifyUpload, "jwt-verify-upload", false, "check the store's epochs, send_object_to and size against the token's claims")
		f.IntVar(&o.jwt.cacheSize, "jwt-cache-size", daemon.DefaultJWTCacheSize, "most spent tokens (jti) remembered until they expire")
		f.DurationVar(&o.jwt.cacheRefresh, "jwt-cache-refresh-interval", daemon.DefaultJWTCacheRefreshInterval, "how often expired tokens leave the replay cache")
	}
	return cmd
}

func metricsURL(addr string) string {
	if addr == "" {
		return ""
	}
	return "http://" + addr + "/metrics"
}

// startDaemon serves the publisher and/or aggregator of c (and the
// metrics) until stop is called; it returns the API's base URL.
func (a *app) startDaemon(c *client.Client, o serveOptions, publisher, aggregator bool) (string, func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	log := a.logger()
	if log == nil {
		log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	auth, err := o.jwt.authConfig()
	if err != nil {
		return "", nil, err
	}
	if auth != nil && auth.Secret == "" {
		log.Warn("authenticated publisher without --jwt-decode-secret: token signatures are not checked")
	}
	s, err := daemon.New(daemon.Config{Client: c, Publisher: publisher, Aggregator: aggregator, MaxBodySize: o.maxBodyKiB << 10,
		MaxConcurrentRequests: o.maxConcurrentRequests, BurnAfterStore: o.burnAfterStore, Auth: auth, Registerer: reg, Logger: log})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", o.bind)
	if err != nil {
		return "", nil, fmt.Errorf("publisher/aggregator: %w", err)
	}
	api := s.HTTPServer(o.bind)
	api.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	go api.Serve(ln)
	servers := []*http.Server{api}
	if o.metrics != "" {
		mln, err := net.Listen("tcp", o.metrics)
		if err != nil {
			api.Close()
			return "", nil, fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go ms.Serve(mln)
		servers = append(servers, ms)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		for _, s := range servers {
			if err := s.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.Close()
			}
		}
	}
	return "http://" + ln.Addr().String(), stop, nil
}
