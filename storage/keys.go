package storage

import (
	"encoding/binary"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/storage/blobinfo"
)

// Key layout. Every key starts with a one-byte table prefix; integers in keys
// are big-endian so that byte order is numeric order.
//
//	'm' | blob ID                              → metadata (BCS BlobMetadata)
//	's' | shard u16 | 0x00 | blob ID           → primary sliver: BCS SliverData, or from
//	                                             256 KiB a pointer into the blob's sliver
//	                                             file (0x80 0x00 0x00 ‖ offset u64le ‖
//	                                             length u32le ‖ CRC-32C u32le)
//	's' | shard u16 | 0x01 | blob ID           → secondary sliver (the same)
//	's' | shard u16 | 0xf0                     → shard status
//	's' | shard u16 | 0xf1 | sliver type       → shard sync progress (last blob ID synced)
//	'b' | blob ID                              → aggregate blob info (blobinfo.Info)
//	'o' | object ID                            → per-object blob info (blobinfo.Object)
//	'x' | end epoch u32 | blob ID | object ID  → (empty) expiry index of object records
//	'q' | blob ID                              → (empty) data awaiting deletion: the blob
//	                                             lost its last object or became invalid
//	'u' | blob ID                              → (empty) pending space: unlink the blob's
//	                                             sliver file if no sliver key of it is left
//	'u' | blob ID | offset u64 | length u32    → (empty) pending space: punch this extent
//	                                             of the blob's sliver file
//	'c'                                        → event cursor
//	'n'                                        → node status
//	'g'                                        → garbage-collector progress
//
// All of a shard's data lies in ['s'|shard, 's'|shard+1), so removing a shard
// is one range deletion, and one shard's slivers of one type are contiguous
// and ordered by blob ID, so shard sync can range-scan them.
const (
	prefixMetadata = 'm'
	prefixShard    = 's'
	prefixBlobInfo = 'b'
	prefixObject   = 'o'
	prefixExpiry   = 'x'
	prefixQueue    = 'q'
	prefixPending  = 'u'
	prefixCursor   = 'c'
	prefixNode     = 'n'
	prefixGC       = 'g'

	shardStatusKind   = 0xf0
	shardProgressKind = 0xf1
)

func metadataKey(id encoding.BlobID) []byte {
	return append([]byte{prefixMetadata}, id[:]...)
}

func shardPrefix(shard uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte{prefixShard}, shard)
}

// shardEnd is the first key after all of shard's keys.
func shardEnd(shard uint16) []byte {
	if shard == 0xffff {
		return []byte{prefixShard + 1}
	}
	return shardPrefix(shard + 1)
}

func sliverPrefix(shard uint16, t encoding.SliverType) []byte {
	return append(shardPrefix(shard), byte(t))
}

func sliverKey(shard uint16, t encoding.SliverType, id encoding.BlobID) []byte {
	k := make([]byte, 0, 4+32)
	k = append(k, prefixShard)
	k = binary.BigEndian.AppendUint16(k, shard)
	k = append(k, byte(t))
	return append(k, id[:]...)
}

func shardStatusKey(shard uint16) []byte {
	return append(shardPrefix(shard), shardStatusKind)
}

func syncProgressKey(shard uint16, t encoding.SliverType) []byte {
	return append(shardPrefix(shard), shardProgressKind, byte(t))
}

func blobInfoKey(id encoding.BlobID) []byte {
	return append([]byte{prefixBlobInfo}, id[:]...)
}

func objectKey(id blobinfo.ObjectID) []byte {
	return append([]byte{prefixObject}, id[:]...)
}

func expiryKey(end uint32, blob encoding.BlobID, obj blobinfo.ObjectID) []byte {
	k := make([]byte, 0, 1+4+32+32)
	k = append(k, prefixExpiry)
	k = binary.BigEndian.AppendUint32(k, end)
	k = append(k, blob[:]...)
	return append(k, obj[:]...)
}

// expiryBound is the first expiry key with an end epoch of at least end.
func expiryBound(end uint64) []byte {
	if end > 0xffffffff {
		return []byte{prefixExpiry + 1}
	}
	return binary.BigEndian.AppendUint32([]byte{prefixExpiry}, uint32(end))
}

const expiryKeyLen = 1 + 4 + 32 + 32

func parseExpiryKey(k []byte) (end uint32, blob encoding.BlobID, obj blobinfo.ObjectID, ok bool) {
	if len(k) != expiryKeyLen || k[0] != prefixExpiry {
		return 0, blob, obj, false
	}
	end = binary.BigEndian.Uint32(k[1:5])
	copy(blob[:], k[5:37])
	copy(obj[:], k[37:])
	return end, blob, obj, true
}

func queueKey(id encoding.BlobID) []byte {
	return append([]byte{prefixQueue}, id[:]...)
}

var (
	cursorKey     = []byte{prefixCursor}
	nodeStatusKey = []byte{prefixNode}
	gcKey         = []byte{prefixGC}
)
