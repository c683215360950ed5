package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/encoding"
	"github.com/walrus-go/walrus/nodeapi"
)

// FuzzHandler sends arbitrary requests to a real node's handler (a test
// network with one registered, uploaded blob, so that deep paths are
// reached) and checks that every answer is well-formed: never a panic
// (which the handler would turn into an INTERNAL error), errors always
// AIP-193 bodies.
func FuzzHandler(f *testing.F) {
	if testing.Short() {
		f.Skip("whole-network fuzz target")
	}
	tn := newTestNet(f)
	enc, _ := encode(f, 8, 3000)
	id := enc.Metadata.BlobID
	tn.register(enc.Metadata, true)
	tn.waitStatus(id, isKind(nodeapi.StatusDeletable))
	tn.upload(enc)
	rn := tn.nodes[tn.owner(0)]
	h := rn.n.srv.Handler
	p0 := enc.PairForShard(0)
	sl := encoding.MarshalSliver(&p0.Primary)
	bid := id.String()

	f.Add(uint8(0), "/v1/blobs/"+bid+"/metadata", []byte(nil))
	f.Add(uint8(1), "/v1/blobs/"+bid+"/metadata", enc.Metadata.Metadata.MarshalBCS())
	f.Add(uint8(1), "/v1/blobs/"+bid+"/slivers/"+strconv.Itoa(p0.PairIndex())+"/primary", sl)
	f.Add(uint8(1), "/v1/blobs/"+bid+"/slivers/"+strconv.Itoa(p0.PairIndex())+"/secondary?pending=true", sl)
	f.Add(uint8(0), "/v1/blobs/"+bid+"/recoverySymbols?id=1-2&id=3-4&proofAxis=secondary", []byte(nil))
	f.Add(uint8(0), "/v1/blobs/"+bid+"/recoverySymbols?targetSliver=3&targetType=primary", []byte(nil))
	f.Add(uint8(2), "/v1/blobs/"+bid+"/inconsistencyProof/secondary", []byte{1, 0, 1, 0, 2, 1, 2})
	f.Add(uint8(0), "/v1/blobs/"+bid+"/confirmation/deletable/0x"+strings.Repeat("ab", 32)+"?wait_for_registration=true&wait_millis=1", []byte(nil))
	f.Add(uint8(0), "/v1/blobs/"+bid+"/status", []byte(nil))
	f.Add(uint8(0), "/v1/blobs/"+bid+"/decodingSymbols?targetSlivers=1,2&targetType=secondary", []byte(nil))
	f.Add(uint8(2), "/v1/migrate/sync_shard", []byte{0, 1, 2})
	f.Add(uint8(0), "/v1/health?detailed=true", []byte(nil))
	f.Fuzz(func(t *testing.T, m uint8, target string, body []byte) {
		method := []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete}[m%4]
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return
		}
		req, err := http.NewRequest(method, "http://node"+target, bytes.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 300 && rec.Code != http.StatusMovedPermanently && rec.Code != http.StatusTemporaryRedirect && rec.Code != http.StatusPermanentRedirect {
			var e nodeapi.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("%s %q: %d with a non-AIP body %q", method, target, rec.Code, rec.Body.Bytes())
			}
			if e.Code != rec.Code || e.Reason == "" {
				t.Fatalf("%s %q: body %s", method, target, rec.Body.Bytes())
			}
			if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s %q: server error %s", method, target, rec.Body.Bytes())
			}
		}
	})
}
