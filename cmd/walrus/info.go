package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/walrus-go/walrus/chain"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/internal/cmdline"
)

// infoOutput is the JSON form of `walrus info`: the sections asked for.
type infoOutput struct {
	Epoch     *epochInfo     `json:"epochInfo,omitempty"`
	Storage   *storageInfo   `json:"storageInfo,omitempty"`
	Size      *sizeInfo      `json:"sizeInfo,omitempty"`
	Price     *priceInfo     `json:"priceInfo,omitempty"`
	BFT       *bftInfo       `json:"bftInfo,omitempty"`
	Committee *committeeInfo `json:"committeeInfo,omitempty"`
}

type epochInfo struct {
	CurrentEpoch     uint32 `json:"currentEpoch"`
	State            string `json:"state"`
	StartOfEpochMs   uint64 `json:"startOfCurrentEpochMs"`
	EpochDurationMs  uint64 `json:"epochDurationMs"`
	MaxEpochsAhead   uint32 `json:"maxEpochsAhead"`
	ChainID          string `json:"chainId"`
	EstimatedEndTime string `json:"estimatedEndOfEpoch"`
}

type storageInfo struct {
	NShards       int    `json:"nShards"`
	NNodes        int    `json:"nNodes"`
	TotalCapacity uint64 `json:"totalCapacity"`
}

type sizeInfo struct {
	StorageUnitSize uint64 `json:"storageUnitSize"`
	MaxBlobSize     uint64 `json:"maxBlobSize"`
	MetadataSize    uint64 `json:"metadataSize"`
}

type priceInfo struct {
	StoragePricePerUnit uint64       `json:"storagePricePerUnitSize"` // FROST per MiB per epoch
	WritePricePerUnit   uint64       `json:"writePricePerUnitSize"`   // FROST per MiB
	Examples            []priceEntry `json:"exampleCosts"`
}

type priceEntry struct {
	UnencodedSize uint64 `json:"unencodedSize"`
	EncodedSize   uint64 `json:"encodedSize"`
	CostPerEpoch  uint64 `json:"costPerEpoch"` // FROST, storage for one epoch plus the write fee
}

type bftInfo struct {
	NShards           int `json:"nShards"`
	FaultyShards      int `json:"maxFaultyShards"`
	QuorumThreshold   int `json:"quorumThreshold"`
	ValidityThreshold int `json:"validityThreshold"`
	MinPrimarySlivers int `json:"minPrimarySliversToDecode"`
}

type committeeInfo struct {
	Epoch   uint32       `json:"epoch"`
	Members []memberInfo `json:"storageNodes"`
}

type memberInfo struct {
	NodeID         string   `json:"nodeId"`
	Name           string   `json:"name"`
	NetworkAddress string   `json:"networkAddress"`
	NShards        int      `json:"nShards"`
	Shards         []uint16 `json:"shardIds"`
	Stake          uint64   `json:"stake"`
}

var infoSections = []string{"all", "epoch", "storage", "size", "price", "bft", "committee"}

func (a *app) infoCommand() *cobra.Command {
	return &cobra.Command{
		Use:       "info [all|epoch|storage|size|price|bft|committee]",
		Short:     "Show the network's epoch, storage, size limits, prices, fault tolerance or committee",
		Long:      "Without an argument shows epoch, storage, size and price; all adds bft and committee\n(which node holds which shards).",
		ValidArgs: infoSections,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && !slices.Contains(infoSections, args[0])) {
				return cmdline.Usagef("info takes one of %v", infoSections)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			section := ""
			if len(args) == 1 {
				section = args[0]
			}
			want := func(s string) bool {
				return section == s || section == "all" || (section == "" && s != "bft" && s != "committee")
			}
			ctx := cmd.Context()
			conn, err := a.connect(ctx)
			if err != nil {
				return err
			}
			sys, err := conn.Chain.System(ctx)
			if err != nil {
				return err
			}
			com, err := conn.Chain.Committee(ctx, chain.CommitteeCurrent)
			if err != nil {
				return err
			}
			n := int(sys.NShards)
			params, err := encoding.NewParams(n)
			if err != nil {
				return err
			}
			var out infoOutput
			if want("epoch") {
				end := time.UnixMilli(int64(sys.EpochStartMs + sys.EpochDurationMs)).UTC()
				out.Epoch = &epochInfo{CurrentEpoch: sys.Epoch, State: sys.State.String(), StartOfEpochMs: sys.EpochStartMs,
					EpochDurationMs: sys.EpochDurationMs, MaxEpochsAhead: a.ctx.EpochsLimit(sys), ChainID: sys.ChainID,
					EstimatedEndTime: end.Format(time.RFC3339)}
			}
			if want("storage") {
				out.Storage = &storageInfo{NShards: n, NNodes: len(com.Members), TotalCapacity: sys.TotalCapacity}
			}
			if want("size") {
				out.Size = &sizeInfo{StorageUnitSize: chain.StorageUnit, MaxBlobSize: params.MaxBlobSize(), MetadataSize: params.MetadataSize()}
			}
			if want("price") {
				pi := &priceInfo{StoragePricePerUnit: sys.StoragePrice, WritePricePerUnit: sys.WritePrice}
				for _, size := range []uint64{16 << 20, 512 << 20, 13 << 30} {
					if size > params.MaxBlobSize() {
						break
					}
					enc, err := params.EncodedLength(size)
					if err != nil {
						return err
					}
					pi.Examples = append(pi.Examples, priceEntry{UnencodedSize: size, EncodedSize: enc, CostPerEpoch: storageCost(sys, enc, 1)})
				}
				out.Price = pi
			}
			if want("bft") {
				out.BFT = &bftInfo{NShards: n, FaultyShards: params.F, QuorumThreshold: params.QuorumThreshold(),
					ValidityThreshold: params.ValidityThreshold(), MinPrimarySlivers: params.Primary()}
			}
			if want("committee") {
				pools, err := conn.Chain.Pools(ctx)
				if err != nil {
					return err
				}
				byID := map[chain.ObjectID]*chain.Pool{}
				for _, p := range pools {
					byID[p.NodeID] = p
				}
				ci := &committeeInfo{Epoch: com.Epoch}
				for _, m := range com.Members {
					mi := memberInfo{NodeID: m.NodeID.String(), NShards: len(m.Shards), Shards: slices.Sorted(slices.Values(m.Shards))}
					if p := byID[m.NodeID]; p != nil {
						mi.Name, mi.NetworkAddress, mi.Stake = p.Name, p.NetworkAddress, p.ActiveStake
					}
					ci.Members = append(ci.Members, mi)
				}
				out.Committee = ci
			}
			if a.json {
				return a.printJSON(out)
			}
			a.printInfo(&out)
			return nil
		},
	}
}

func (a *app) printInfo(o *infoOutput) {
	w := a.stdout
	if e := o.Epoch; e != nil {
		fmt.Fprintf(w, "Epoch information\nCurrent epoch: %d (%s)\nChain ID: %s\nStart of current epoch: %s\nEpoch duration: %s\n"+
			"Estimated end of epoch: %s\nBlobs can be stored for at most %d epochs ahead.\n\n",
			e.CurrentEpoch, e.State, e.ChainID, time.UnixMilli(int64(e.StartOfEpochMs)).UTC().Format(time.RFC3339),
			time.Duration(e.EpochDurationMs)*time.Millisecond, e.EstimatedEndTime, e.MaxEpochsAhead)
	}
	if s := o.Storage; s != nil {
		fmt.Fprintf(w, "Storage nodes\nNumber of storage nodes: %d\nNumber of shards: %d\nTotal capacity: %s\n\n", s.NNodes, s.NShards, formatBytes(s.TotalCapacity))
	}
	if s := o.Size; s != nil {
		fmt.Fprintf(w, "Blob size\nMaximum blob size: %s\nStorage unit: %s\nMetadata size (replicated on every node): %s\n\n",
			formatBytes(s.MaxBlobSize), formatBytes(s.StorageUnitSize), formatBytes(s.MetadataSize))
	}
	if p := o.Price; p != nil {
		fmt.Fprintf(w, "Storage prices\nStorage price per epoch: %s per %s\nWrite price: %s per %s\n", formatWAL(p.StoragePricePerUnit),
			formatBytes(chain.StorageUnit), formatWAL(p.WritePricePerUnit), formatBytes(chain.StorageUnit))
		for _, e := range p.Examples {
			fmt.Fprintf(w, "  %s unencoded (%s encoded): %s for one epoch\n", formatBytes(e.UnencodedSize), formatBytes(e.EncodedSize), formatWAL(e.CostPerEpoch))
		}
		fmt.Fprintln(w)
	}
	if b := o.BFT; b != nil {
		fmt.Fprintf(w, "Byzantine fault tolerance\nShards: %d, tolerated faulty shards (f): %d\nQuorum (2f+1): %d shards, validity (f+1): %d shards\n"+
			"Primary slivers needed to decode (n-2f): %d\n\n", b.NShards, b.FaultyShards, b.QuorumThreshold, b.ValidityThreshold, b.MinPrimarySlivers)
	}
	if c := o.Committee; c != nil {
		fmt.Fprintf(w, "Committee of epoch %d\n", c.Epoch)
		for i, m := range c.Members {
			fmt.Fprintf(w, "[%d] %s  %s  %s\n    %d shard(s): %s\n", i, m.Name, m.NodeID, m.NetworkAddress, m.NShards, shardRanges(m.Shards))
		}
	}
}

// shardRanges renders sorted shard IDs as ranges ("0-4, 9, 12-13").
func shardRanges(s []uint16) string {
	out := ""
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if out != "" {
			out += ", "
		}
		if j == i {
			out += fmt.Sprint(s[i])
		} else {
			out += fmt.Sprintf("%d-%d", s[i], s[j])
		}
		i = j + 1
	}
	return out
}
