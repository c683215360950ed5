package storage

import (
	"fmt"

	"github.com/walrus-go/walrus/bcs"
	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// EventCursor is the position in the chain's event stream up to which the
// store has applied blob events: the (height, index) of the last event
// handled. It is opaque to the store except for its order.
type EventCursor struct {
	Height uint64
	Index  uint32
}

// Less orders cursors.
func (c EventCursor) Less(d EventCursor) bool {
	return c.Height < d.Height || (c.Height == d.Height && c.Index < d.Index)
}

// covers reports whether event id is at or before the cursor.
func (c EventCursor) covers(id blobinfo.EventID) bool {
	return !c.Less(EventCursor(id))
}

// ShardStatus is the state of one shard at this node.
type ShardStatus uint8

// Shard states, as the node API names them.
const (
	ShardUnknown ShardStatus = iota
	ShardReady
	ShardInTransfer
	ShardInRecovery
	ShardReadOnly
	numShardStatus
)

// String returns the node API's name of the status.
func (s ShardStatus) String() string {
	switch s {
	case ShardUnknown:
		return "unknown"
	case ShardReady:
		return "ready"
	case ShardInTransfer:
		return "inTransfer"
	case ShardInRecovery:
		return "inRecovery"
	case ShardReadOnly:
		return "readOnly"
	}
	return fmt.Sprintf("ShardStatus(%d)", uint8(s))
}

// NodeMode is the node's recovery mode.
type NodeMode uint8

// The node modes.
const (
	NodeStandby NodeMode = iota
	NodeActive
	NodeRecoverMetadata
	NodeRecoveryCatchUp
	NodeRecoveryInProgress                   // Epoch set
	NodeRecoveryCatchUpWithIncompleteHistory // FirstCompleteEpoch and EpochAtStart set
	numNodeMode
)

// String names the mode as the node API does.
func (m NodeMode) String() string {
	switch m {
	case NodeStandby:
		return "Standby"
	case NodeActive:
		return "Active"
	case NodeRecoverMetadata:
		return "RecoverMetadata"
	case NodeRecoveryCatchUp:
		return "RecoveryCatchUp"
	case NodeRecoveryInProgress:
		return "RecoveryInProgress"
	case NodeRecoveryCatchUpWithIncompleteHistory:
		return "RecoveryCatchUpWithIncompleteHistory"
	}
	return fmt.Sprintf("NodeMode(%d)", uint8(m))
}

// NodeStatus is the node's persisted status. Fields other than Mode are
// meaningful only for the modes noted at their constants, and are zero
// otherwise.
type NodeStatus struct {
	Mode               NodeMode
	Epoch              uint32
	FirstCompleteEpoch uint32
	EpochAtStart       uint32
}

// GCProgress records the garbage collector's progress: the last epoch whose
// collection was started and the last one that completed.
type GCProgress struct {
	LastStarted   uint32
	LastCompleted uint32
}

// Record codecs. Each record begins with a ULEB128 version tag (0 today).

func marshalCursor(c EventCursor) []byte {
	e := bcs.NewEncoder(13)
	e.ULEB(0)
	e.U64(c.Height)
	e.U32(c.Index)
	return e.Bytes()
}

func unmarshalCursor(b []byte) (EventCursor, error) {
	d := bcs.NewDecoder(b)
	d.Tag(1)
	c := EventCursor{Height: d.U64(), Index: d.U32()}
	if err := d.Finish(); err != nil {
		return EventCursor{}, corrupt("event cursor", err)
	}
	return c, nil
}

func marshalNodeStatus(s NodeStatus) []byte {
	e := bcs.NewEncoder(10)
	e.ULEB(0)
	e.ULEB(uint32(s.Mode))
	switch s.Mode {
	case NodeRecoveryInProgress:
		e.U32(s.Epoch)
	case NodeRecoveryCatchUpWithIncompleteHistory:
		e.U32(s.FirstCompleteEpoch)
		e.U32(s.EpochAtStart)
	}
	return e.Bytes()
}

func unmarshalNodeStatus(b []byte) (NodeStatus, error) {
	d := bcs.NewDecoder(b)
	d.Tag(1)
	s := NodeStatus{Mode: NodeMode(d.Tag(uint32(numNodeMode)))}
	switch s.Mode {
	case NodeRecoveryInProgress:
		s.Epoch = d.U32()
	case NodeRecoveryCatchUpWithIncompleteHistory:
		s.FirstCompleteEpoch = d.U32()
		s.EpochAtStart = d.U32()
	}
	if err := d.Finish(); err != nil {
		return NodeStatus{}, corrupt("node status", err)
	}
	return s, nil
}

func marshalShardStatus(s ShardStatus) []byte {
	return []byte{0, byte(s)} // version, then the status tag (both single-byte ULEB128)
}

func unmarshalShardStatus(b []byte) (ShardStatus, error) {
	d := bcs.NewDecoder(b)
	d.Tag(1)
	s := ShardStatus(d.Tag(uint32(numShardStatus)))
	if err := d.Finish(); err != nil {
		return ShardUnknown, corrupt("shard status", err)
	}
	return s, nil
}

func marshalGCProgress(g GCProgress) []byte {
	e := bcs.NewEncoder(9)
	e.ULEB(0)
	e.U32(g.LastStarted)
	e.U32(g.LastCompleted)
	return e.Bytes()
}

func unmarshalGCProgress(b []byte) (GCProgress, error) {
	d := bcs.NewDecoder(b)
	d.Tag(1)
	g := GCProgress{LastStarted: d.U32(), LastCompleted: d.U32()}
	if err := d.Finish(); err != nil {
		return GCProgress{}, corrupt("gc progress", err)
	}
	return g, nil
}

func marshalBlobIDRecord(id encoding.BlobID) []byte {
	return append([]byte{0}, id[:]...)
}

func unmarshalBlobIDRecord(b []byte) (encoding.BlobID, error) {
	var id encoding.BlobID
	d := bcs.NewDecoder(b)
	d.Tag(1)
	d.FixedInto(id[:])
	if err := d.Finish(); err != nil {
		return id, corrupt("sync progress", err)
	}
	return id, nil
}
