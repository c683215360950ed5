package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
	"github.com/walrus-go/walrus/protocol"
)

// StoreOptions are the options of a store.
type StoreOptions struct {
	// Epochs is the number of epochs the blob is stored for, counting the
	// current one (default 1).
	Epochs uint32
	// Permanent stores a permanent blob; the default is deletable.
	Permanent bool
	// Force uploads and certifies even if the blob is already certified.
	Force bool
	// IgnoreResources always buys new storage instead of using a storage
	// resource the wallet owns.
	IgnoreResources bool
	// SendObjectTo, if set, transfers the new Blob object to this address
	// in the certifying transaction (Walrus's send_object_to).
	SendObjectTo *chain.Address
	// Share turns the new Blob object into a shared blob in the certifying
	// transaction, funded with ShareFunds FROST (Walrus's --share);
	// exclusive with SendObjectTo.
	Share      bool
	ShareFunds uint64
	// Burn destroys the new Blob object in the certifying transaction
	// (Walrus's publisher --burn-after-store): the blob stays stored until
	// its end epoch, but nobody can delete, extend or transfer it.
	// Exclusive with SendObjectTo and Share.
	Burn bool
}

// validate checks the options that exclude each other.
func (o *StoreOptions) validate() error {
	if o.Share && o.SendObjectTo != nil {
		return fmt.Errorf("%w: share and send-object-to exclude each other", ErrConfig)
	}
	if o.Burn && (o.Share || o.SendObjectTo != nil) {
		return fmt.Errorf("%w: burning the Blob object excludes sharing and sending it", ErrConfig)
	}
	return nil
}

// Store encodes data and stores it on Walrus (reference §7.1). Unless
// opts.Force, a blob already certified until at least the requested end
// epoch (permanent, or deletable and owned by the wallet when a deletable
// blob is asked for) returns AlreadyCertified without uploading. A blob ID
// marked invalid on chain returns MarkedInvalid (even with opts.Force): no
// node would take its slivers.
//
// A store that straddles an epoch change (ErrEpochChanged) is retried up to
// epochRetries times with the same end epoch, reusing its registration.
func (c *Client) Store(ctx context.Context, data []byte, opts StoreOptions) (*StoreResult, error) {
	if opts.Epochs == 0 {
		opts.Epochs = 1
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var end uint32
	for attempt := 0; ; attempt++ {
		ph := &storePhase{}
		res, err := c.store(ctx, data, opts, &end, ph)
		if err != nil && (!errors.Is(err, ErrEpochChanged) || attempt == epochRetries) {
			return nil, &StoreError{BlobID: ph.id, Phase: ph.phase, Err: err}
		}
		if err == nil {
			return res, nil
		}
		c.cfg.Logger.Debug("store straddled an epoch change; retrying", "err", err)
	}
}

const epochRetries = 2

// StoreError is a failed store: the blob ID when the blob was encoded, and
// the phase that failed: PhaseEncode, PhaseStatus (chain and node lookups
// before storing), PhaseRegister (resources and registration), PhaseUpload
// (metadata, slivers, confirmations) or PhaseCertify. It wraps the cause
// (errors.Is and errors.As see through it) and reads as the cause.
type StoreError struct {
	BlobID *encoding.BlobID
	Phase  string
	Err    error
}

// The phases of a store.
const (
	PhaseEncode   = "encode"
	PhaseStatus   = "status"
	PhaseRegister = "register"
	PhaseUpload   = "upload"
	PhaseCertify  = "certify"
)

func (e *StoreError) Error() string { return e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// storePhase is where a store attempt got to.
type storePhase struct {
	id    *encoding.BlobID
	phase string
}

// store is one attempt of Store. *end is the end epoch: computed from
// opts.Epochs when 0, else kept (a retry).
func (c *Client) store(ctx context.Context, data []byte, opts StoreOptions, endp *uint32, ph *storePhase) (*StoreResult, error) {
	ph.phase = PhaseEncode
	v, sys, err := c.committee(ctx)
	if err != nil {
		return nil, err
	}
	n := v.n()
	p, err := encoding.NewParams(n)
	if err != nil {
		return nil, fmt.Errorf("client: store: %w", err)
	}
	if uint64(len(data)) > p.MaxBlobSize() {
		return nil, fmt.Errorf("%w: %d bytes, at most %d with %d shards", ErrTooLarge, len(data), p.MaxBlobSize(), n)
	}
	if opts.Epochs > sys.MaxEpochsAhead {
		return nil, fmt.Errorf("%w: %d epochs, at most %d ahead", ErrConfig, opts.Epochs, sys.MaxEpochsAhead)
	}
	t0 := time.Now()
	enc, err := encoding.Encode(data, n)
	if err != nil {
		return nil, fmt.Errorf("client: store: encode: %w", err)
	}
	tEnc := time.Now()
	md := enc.Metadata
	id := md.BlobID
	ph.id, ph.phase = &id, PhaseStatus
	if *endp <= sys.Epoch {
		*endp = sys.Epoch + opts.Epochs
	}
	end := *endp
	opts.Epochs = end - sys.Epoch
	deletable := !opts.Permanent

	// An invalid blob ID cannot be stored again (Walrus's MarkedInvalid).
	if inv, err := c.chain.Invalid(ctx, id); err != nil {
		return nil, fmt.Errorf("client: store: invalid blob IDs: %w", err)
	} else if inv {
		mi := &MarkedInvalid{BlobID: id}
		// The invalidation event, as the nodes report it (best effort).
		if st, err := c.Status(ctx, id); err == nil && st.Kind == nodeapi.StatusInvalid {
			ev := st.Event
			mi.Event = &ev
		}
		return &StoreResult{MarkedInvalid: mi}, nil
	}

	// A blob certified by another object is stored already: the nodes are
	// asked for confirmations first and only those that cannot give one get
	// the slivers.
	var certified bool
	if !opts.Force {
		var ac *AlreadyCertified
		if ac, certified, err = c.alreadyCertified(ctx, id, sys.Epoch, end, deletable); err != nil {
			return nil, err
		}
		if ac != nil {
			return &StoreResult{AlreadyCertified: ac}, nil
		}
	}
	if c.cfg.Wallet == nil {
		return nil, ErrNoWallet
	}
	encLen, err := encoding.EncodedBlobLength(uint64(len(data)), n)
	if err != nil {
		return nil, fmt.Errorf("client: store: %w", err)
	}

	ph.phase = PhaseRegister
	// Resources: reuse an uncertified registration of this blob owned by
	// the wallet (a retried store), or a storage resource it owns, or
	// reserve and register.
	var blob *chain.Blob
	var op ResourceOperation
	var cost uint64
	units := (encLen + 1<<20 - 1) >> 20
	var obtain func() error // sends the registration
	claim, release := c.claimer()
	defer release() // after the registration was used (or failed)
	if b, err := c.ownedRegistration(ctx, claim, id, sys.Epoch, end, deletable); err != nil {
		return nil, err
	} else if b != nil {
		blob, op.ReuseRegistration = b, &ReuseRegistration{EncodedLength: encLen}
	} else if st, err := c.ownedStorage(ctx, claim, encLen, sys.Epoch, end, opts.IgnoreResources); err != nil {
		return nil, err
	} else if st != nil {
		op.ReuseStorage = &ReuseStorage{EncodedLength: encLen}
		cost = sys.WritePrice * units
		obtain = func() error {
			inc, err := c.send(ctx, registerMsg(md, st.ID, deletable))
			if err != nil {
				return fmt.Errorf("client: store: register blob with storage %s: %w", st.ID, err)
			}
			blob, err = c.registeredBlob(ctx, inc, id)
			return err
		}
	} else {
		op.RegisterFromScratch = &RegisterFromScratch{EncodedLength: encLen, EpochsAhead: opts.Epochs}
		cost = sys.StoragePrice*units*uint64(opts.Epochs) + sys.WritePrice*units
		obtain = func() (err error) {
			blob, err = c.register(ctx, sys, md, encLen, opts.Epochs, deletable)
			return err
		}
	}

	t1 := time.Now()
	conf := protocol.StorageConfirmation{Epoch: v.epoch, BlobID: id, Deletable: deletable}
	j := &uploadJob{v: v, enc: enc, confirmFirst: certified, conf: &conf}
	var regErr error
	if obtain != nil && c.cfg.PendingUploads && uint64(len(data)) <= uint64(c.cfg.PendingUploadMaxSize) && !certified {
		// Upload while the registration is on its way.
		ready := make(chan struct{})
		j.pending, j.ready, j.regErr = true, ready, &regErr
		go func() {
			defer close(ready)
			if regErr = obtain(); regErr == nil && deletable {
				conf.ObjectID = blob.ID
			}
		}()
	} else if obtain != nil {
		if err := obtain(); err != nil {
			return nil, err
		}
	}
	tReg := time.Now()
	ph.phase = PhaseUpload
	if !j.pending && deletable {
		conf.ObjectID = blob.ID
	}
	cert, err := c.upload(ctx, j)
	if err != nil {
		if j.pending {
			<-j.ready
			if regErr != nil {
				ph.phase = PhaseRegister
			}
		}
		return nil, err
	}
	t2 := time.Now()
	ph.phase = PhaseCertify
	oc, err := cert.OnChain(v.com.Len())
	if err != nil {
		return nil, fmt.Errorf("client: store: %w", err)
	}
	msgs := []chain.Msg{&chain.MsgCertifyBlob{Blob: blob.ID, Cert: *oc}}
	switch {
	case opts.SendObjectTo != nil:
		msgs = append(msgs, &chain.MsgTransferObject{Object: blob.ID, To: *opts.SendObjectTo})
	case opts.Share:
		msgs = append(msgs, &chain.MsgShareBlob{Blob: blob.ID, Funds: opts.ShareFunds})
	case opts.Burn:
		msgs = append(msgs, &chain.MsgBurnBlob{Blob: blob.ID})
	}
	inc, err := c.send(ctx, msgs...)
	if err != nil {
		if errors.Is(err, chain.ErrEpochRange) || errors.Is(err, chain.ErrCertificate) {
			return nil, fmt.Errorf("%w: certify: %w", ErrEpochChanged, err)
		}
		return nil, fmt.Errorf("client: store: certify: %w", err)
	}
	var bo BlobObject
	if opts.Burn {
		// The object is gone: it is reported as certified by this
		// transaction.
		certified := *blob
		for _, ev := range inc.Events {
			if e, ok := ev.Event.(*chain.BlobCertified); ok && e.ObjectID == blob.ID {
				certified.CertifiedEpoch = &e.Epoch
			}
		}
		bo = blobObjectOf(&certified)
	} else {
		o, err := c.chain.Object(ctx, blob.ID)
		if err != nil || o.Blob == nil {
			return nil, fmt.Errorf("client: store: reading the certified blob object %s: %v", blob.ID, err)
		}
		bo = blobObjectOf(o.Blob)
	}
	c.cfg.Logger.Debug("stored", "blob", id, "size", len(data), "encode", tEnc.Sub(t0), "lookups", t1.Sub(tEnc),
		"register", tReg.Sub(t1), "upload", t2.Sub(tReg), "certify", time.Since(t2))
	nc := &NewlyCreated{BlobObject: bo, ResourceOperation: op, Cost: cost}
	if opts.Share {
		nc.SharedBlobObject = blob.ID.String()
	}
	return &StoreResult{NewlyCreated: nc}, nil
}

// alreadyCertified looks on chain for a certified blob object with ID id
// that lives until at least end: permanent, or, for a deletable store, a
// deletable one owned by the wallet.
func (c *Client) alreadyCertified(ctx context.Context, id encoding.BlobID, cur, end uint32, deletable bool) (*AlreadyCertified, bool, error) {
	objs, err := c.chain.BlobObjects(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("client: blob objects: %w", err)
	}
	me := c.Address()
	certified := false
	for _, o := range objs {
		b := o.Blob
		if b != nil && b.Certified() && b.Storage.End > cur {
			certified = true
		}
		if b == nil || !b.Certified() || b.Storage.End < end {
			continue
		}
		if !b.Deletable || (deletable && c.cfg.Wallet != nil && o.Owner == me) {
			oid := b.ID
			ac := &AlreadyCertified{BlobID: id, Object: &oid, EndEpoch: b.Storage.End}
			if !b.Deletable {
				// The certification event, as the nodes report it (best
				// effort: the chain already vouched for the object).
				if st, err := c.Status(ctx, id); err == nil && st.Kind == nodeapi.StatusPermanent && st.IsCertified {
					ev := st.Event
					ac.Event = &ev
				}
			}
			return ac, true, nil
		}
	}
	return nil, certified, nil
}

// ownedRegistration finds an uncertified Blob object of id owned by the
// wallet, with the requested persistence, whose storage covers the current
// epoch and lasts until at least end.
func (c *Client) ownedRegistration(ctx context.Context, claim func(chain.ObjectID) bool, id encoding.BlobID, cur, end uint32, deletable bool) (*chain.Blob, error) {
	if c.cfg.Wallet == nil {
		return nil, nil
	}
	objs, err := c.chain.BlobObjects(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("client: blob objects: %w", err)
	}
	me := c.Address()
	for _, o := range objs {
		b := o.Blob
		if o.Kind == chain.KindBlob && o.Owner == me && b != nil && !b.Certified() && b.Deletable == deletable &&
			b.Storage.Start <= cur && b.Storage.End >= end && claim(b.ID) {
			return b, nil
		}
	}
	return nil, nil
}

// register reserves storage and registers the blob in one transaction: the
// registration names the storage reserved by the message before it
// (chain.StorageFromThisTx), and both apply atomically.
func (c *Client) register(ctx context.Context, sys *chain.System, md *encoding.VerifiedMetadata, encLen uint64, epochs uint32, deletable bool) (*chain.Blob, error) {
	msgs := []chain.Msg{&chain.MsgReserveSpace{Size: encLen, EpochsAhead: epochs}, registerMsg(md, chain.StorageFromThisTx, deletable)}
	inc, err := c.submit(ctx, sys, msgs)
	if err != nil {
		return nil, fmt.Errorf("client: store: reserve space and register blob: %w", err)
	}
	return c.registeredBlob(ctx, inc, md.BlobID)
}

func registerMsg(md *encoding.VerifiedMetadata, storage chain.ObjectID, deletable bool) *chain.MsgRegisterBlob {
	return &chain.MsgRegisterBlob{Storage: storage, BlobID: md.BlobID, RootHash: [32]byte(md.Metadata.RootHash()),
		Size: md.Metadata.UnencodedLength, EncodingType: encoding.EncodingTypeRS2, Deletable: deletable}
}

// registeredBlob reads the Blob object a registration created.
func (c *Client) registeredBlob(ctx context.Context, inc *chainInclusion, id encoding.BlobID) (*chain.Blob, error) {
	for _, ev := range inc.Events {
		if r, ok := ev.Event.(*chain.BlobRegistered); ok && r.BlobID == id {
			o, err := c.chain.Object(ctx, r.ObjectID)
			if err != nil || o.Blob == nil {
				return nil, fmt.Errorf("client: store: reading the registered blob object %s: %v", r.ObjectID, err)
			}
			return o.Blob, nil
		}
	}
	return nil, fmt.Errorf("client: store: register blob: no BlobRegistered event")
}

// ownedStorage finds the smallest storage resource owned by the wallet of
// at least size bytes that covers [cur, end).
func (c *Client) ownedStorage(ctx context.Context, claim func(chain.ObjectID) bool, size uint64, cur, end uint32, ignore bool) (*chain.Storage, error) {
	if ignore || c.cfg.Wallet == nil {
		return nil, nil
	}
	objs, err := c.chain.Owned(ctx, c.Address())
	if err != nil {
		return nil, fmt.Errorf("client: owned objects: %w", err)
	}
	var fits []*chain.Storage
	for _, o := range objs {
		s := o.Storage
		if o.Kind != chain.KindStorage || s == nil || s.Size < size || s.Start > cur || s.End < end {
			continue
		}
		fits = append(fits, s)
	}
	// The smallest that fits, then the one that ends first; one that a
	// concurrent store has claimed is skipped.
	slices.SortFunc(fits, func(a, b *chain.Storage) int {
		if a.Size != b.Size {
			return cmp.Compare(a.Size, b.Size)
		}
		return cmp.Compare(a.End, b.End)
	})
	for _, s := range fits {
		if claim(s.ID) {
			return s, nil
		}
	}
	return nil, nil
}

// claimer returns a function that claims an owned object for this store
// (false if another store in progress holds it) and one that releases
// every claim it made.
func (c *Client) claimer() (claim func(chain.ObjectID) bool, release func()) {
	var mine []chain.ObjectID
	claim = func(id chain.ObjectID) bool {
		c.claimMu.Lock()
		defer c.claimMu.Unlock()
		if c.claimed[id] {
			return false
		}
		if c.claimed == nil {
			c.claimed = make(map[chain.ObjectID]bool)
		}
		c.claimed[id] = true
		mine = append(mine, id)
		return true
	}
	release = func() {
		c.claimMu.Lock()
		defer c.claimMu.Unlock()
		for _, id := range mine {
			delete(c.claimed, id)
		}
	}
	return claim, release
}

// uploadJob is one blob's upload to a committee.
type uploadJob struct {
	v   *committeeView
	enc *encoding.EncodedBlob
	sem *semaphore.Weighted // sliver bytes in flight
	// confirmFirst: the blob is certified already; ask for confirmations
	// before uploading.
	confirmFirst bool
	// pending: upload with pending=true while the registration is being
	// sent; ready closes when it is done (regErr set if it failed) and conf
	// is final.
	pending bool
	ready   <-chan struct{}
	regErr  *error
	conf    *protocol.StorageConfirmation
}

// upload stores the metadata and each member's slivers at every member in
// parallel (sliver bytes in flight bounded), asks each for its storage
// confirmation and aggregates them into a certificate. Once a quorum of shard
// weight confirmed, the remaining uploads get a grace period and are then
// cancelled.
func (c *Client) upload(ctx context.Context, j *uploadJob) (*protocol.Certificate, error) {
	v := j.v
	if j.ready == nil {
		ready := make(chan struct{})
		close(ready)
		j.ready = ready
	}
	if j.sem == nil {
		j.sem = semaphore.NewWeighted(c.cfg.MaxDataInFlight)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var (
		mu      sync.Mutex
		agg     *protocol.Aggregator // made once the confirmation is final
		aggErr  error
		errs    = make([]error, v.com.Len())
		quorum  = make(chan struct{})
		reached bool
		wg      sync.WaitGroup
	)
	aggregator := func() (*protocol.Aggregator, error) {
		if agg == nil && aggErr == nil {
			agg, aggErr = protocol.NewAggregator(v.com, j.conf.Marshal())
		}
		return agg, aggErr
	}
	for m := range v.com.Len() {
		wg.Go(func() {
			sm, err := c.storeAt(ctx, j, m)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				var a *protocol.Aggregator
				if a, err = aggregator(); err == nil {
					_, err = a.Add(m, sm)
				}
			}
			if err != nil {
				errs[m] = fmt.Errorf("%s: %w", v.names[m], err)
				c.cfg.Logger.Debug("store at node failed", "node", v.names[m], "err", err)
				return
			}
			if !reached && agg.Reached() {
				reached = true
				close(quorum)
			}
		})
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-quorum:
		q := time.Since(start)
		extra := time.Duration(c.cfg.TailExtraFactor*float64(q)) + c.cfg.TailExtraBase
		t := time.NewTimer(extra)
		select {
		case <-all:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		c.cfg.Logger.Debug("upload tail", "quorum", q, "all", time.Since(start))
	case <-ctx.Done():
	}
	cancel()
	<-all
	mu.Lock()
	defer mu.Unlock()
	if agg == nil || !agg.Reached() {
		if err := parent.Err(); err != nil {
			return nil, fmt.Errorf("client: store: upload: %w", err)
		}
		if j.regErr != nil && *j.regErr != nil {
			return nil, *j.regErr
		}
		weight := 0
		if agg != nil {
			weight = agg.Weight()
		}
		joined := errors.Join(errs...)
		if errors.Is(joined, protocol.ErrMessageMismatch) || errors.Is(joined, nodeapi.ErrEpochMismatch) {
			// Nodes signed for another epoch than the committee's.
			return nil, fmt.Errorf("%w: confirmations of %d of %d shards: %w", ErrEpochChanged, weight, v.n(), joined)
		}
		return nil, fmt.Errorf("%w: confirmations of %d of %d shards: %w", ErrNotEnoughNodes, weight, v.n(), joined)
	}
	cert, err := agg.Certificate()
	if err != nil {
		return nil, fmt.Errorf("client: store: %w", err)
	}
	return cert, nil
}

// errRegistration: the registration that pending uploads waited for failed.
var errRegistration = errors.New("registration failed")

// storeAt uploads to committee member m and returns its confirmation.
func (c *Client) storeAt(ctx context.Context, j *uploadJob, m int) (*protocol.SignedMessage, error) {
	api := j.v.nodes[m]
	if api == nil {
		return nil, errors.New("no usable address")
	}
	id := j.enc.Metadata.BlobID
	confirm := func(wait time.Duration, retryOn ...error) (*protocol.SignedMessage, error) {
		var sm *protocol.SignedMessage
		err := retryWhile(ctx, wait, func() error {
			var err error
			if j.conf.Deletable {
				sm, err = api.DeletableConfirmation(ctx, id, j.conf.ObjectID)
			} else {
				sm, err = api.PermanentConfirmation(ctx, id)
			}
			return err
		}, retryOn...)
		return sm, err
	}
	awaitRegistration := func() error {
		select {
		case <-j.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
		if *j.regErr != nil {
			return errRegistration
		}
		return nil
	}
	switch {
	case j.pending:
		// Slivers go out while the registration is on its way; the node
		// holds them until it sees the registration.
		perr := c.putAll(ctx, j, m, true)
		if err := awaitRegistration(); err != nil {
			return nil, err
		}
		if perr == nil {
			sm, err := confirm(c.cfg.RegistrationWait, nodeapi.ErrNotRegistered, nodeapi.ErrObjectNotLive, nodeapi.ErrNotFullyStored)
			if err == nil {
				return sm, nil
			}
			c.cfg.Logger.Debug("pending upload not confirmed; uploading again", "node", j.v.names[m], "err", err)
		}
	case j.confirmFirst:
		if sm, err := confirm(c.cfg.RegistrationWait, nodeapi.ErrNotRegistered, nodeapi.ErrObjectNotLive); err == nil {
			return sm, nil
		}
	}
	if err := c.putAll(ctx, j, m, false); err != nil {
		return nil, err
	}
	sm, err := confirm(c.cfg.RegistrationWait, nodeapi.ErrNotRegistered, nodeapi.ErrObjectNotLive)
	if err != nil {
		return nil, fmt.Errorf("confirmation: %w", err)
	}
	return sm, nil
}

// putAll uploads the metadata, then the sliver pairs of every shard member m
// holds (PerNodeUploadWorkers at a time, bytes in flight bounded), with
// pending=true if pending.
func (c *Client) putAll(ctx context.Context, j *uploadJob, m int, pending bool) error {
	api := j.v.nodes[m]
	enc := j.enc
	id := enc.Metadata.BlobID
	putMD := api.PutMetadata
	putSliver := api.PutSliver
	wait := c.cfg.RegistrationWait // the node may not have seen the registration yet
	if pending {
		putMD, putSliver, wait = api.PutMetadataPending, api.PutSliverPending, 0
	}
	err := retryWhile(ctx, wait, func() error {
		return retryTransient(ctx, func() error {
			_, err := putMD(ctx, enc.Metadata)
			return err
		})
	}, nodeapi.ErrNotRegistered, nodeapi.ErrObjectNotLive)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	shards := j.v.com.Member(m).Shards
	jobs := make(chan encoding.Sliver)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	uctx, ucancel := context.WithCancel(ctx)
	defer ucancel()
	for range min(c.cfg.PerNodeUploadWorkers, 2*len(shards)) {
		wg.Go(func() {
			for s := range jobs {
				w := min(int64(len(s.Data)), c.cfg.MaxDataInFlight)
				if err := j.sem.Acquire(uctx, w); err != nil {
					continue
				}
				err := retryTransient(uctx, func() error {
					_, err := putSliver(uctx, id, uint16(s.PairIndex(enc.Params)), &s)
					return err
				})
				c.sliverPuts.Add(1)
				j.sem.Release(w)
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s sliver %d: %w", s.Type, s.Index, err); ucancel() })
				}
			}
		})
	}
feed:
	for _, sh := range shards {
		pair := enc.PairForShard(int(sh))
		for _, s := range []encoding.Sliver{pair.Primary, pair.Secondary} {
			select {
			case jobs <- s:
			case <-uctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return uctx.Err()
}

// retryWhile calls fn until it does not fail with one of the errors in
// retryOn, for at most wait.
func retryWhile(ctx context.Context, wait time.Duration, fn func() error, retryOn ...error) error {
	deadline := time.Now().Add(wait)
	delay := 10 * time.Millisecond
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) || !isAny(err, retryOn) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// transientAttempts is how many times a request failing transiently (the
// node overloaded or restarting, the connection lost) is tried.
const transientAttempts = 3

// retryTransient calls fn until it succeeds, fails with an answer of the
// node other than "unavailable", or has been tried transientAttempts times.
func retryTransient(ctx context.Context, fn func() error) error {
	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == transientAttempts || ctx.Err() != nil {
			return err
		}
		var e *nodeapi.Error
		if errors.As(err, &e) && e.Code != http.StatusServiceUnavailable && e.Code != http.StatusTooManyRequests {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay *= 4
	}
}
