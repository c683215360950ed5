package nodeapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/walrus-go/walrus/encoding"
)

func TestParsers(t *testing.T) {
	id := encoding.BlobID{1, 2, 3}
	if got, err := ParseBlobID(id.String()); err != nil || got != id {
		t.Fatalf("blob ID: %v %v", got, err)
	}
	for _, bad := range []string{"", "abc", id.String() + "A", strings.Repeat("!", 43)} {
		if _, err := ParseBlobID(bad); !errors.Is(err, ErrInvalidBlobID) {
			t.Errorf("blob ID %q: %v", bad, err)
		}
	}
	for s, want := range map[string]int{"0": 0, "7": 7, "65535": 65535, "": -1, "01": -1, "-1": -1, "+1": -1, "65536": -1, "1e3": -1, "999999": -1} {
		v, err := ParsePairIndex(s)
		if want < 0 {
			if !errors.Is(err, ErrInvalidParameter) {
				t.Errorf("pair %q: %v", s, err)
			}
		} else if err != nil || int(v) != want {
			t.Errorf("pair %q: %d %v", s, v, err)
		}
	}
	if st, err := ParseSymbolID("3-65535"); err != nil || st != (encoding.SymbolID{Primary: 3, Secondary: 65535}) {
		t.Fatalf("symbol: %v %v", st, err)
	}
	for _, bad := range []string{"3", "3-", "-3", "3-4-5", "03-4", "3-70000"} {
		if _, err := ParseSymbolID(bad); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("symbol %q: %v", bad, err)
		}
	}
	obj := [32]byte{0xab, 31: 0xcd}
	if got, err := ParseObjectID(FormatObjectID(obj)); err != nil || got != obj {
		t.Fatalf("object: %v", err)
	}
	if _, err := ParseObjectID("0x12"); err == nil {
		t.Fatal("short object ID accepted")
	}
}

func TestRecoveryQuery(t *testing.T) {
	axis := encoding.Secondary
	for _, q := range []*RecoveryQuery{
		{IDs: []encoding.SymbolID{{Primary: 1, Secondary: 2}, {Primary: 3, Secondary: 4}}, ProofAxis: &axis},
		{HasTarget: true, TargetSliver: 9, TargetType: encoding.Primary},
	} {
		v, _ := url.ParseQuery(q.Encode())
		got, err := ParseRecoveryQuery(v)
		if err != nil {
			t.Fatal(err)
		}
		if got.Encode() != q.Encode() {
			t.Fatalf("round trip %q -> %q", q.Encode(), got.Encode())
		}
	}
	for _, bad := range []string{"", "id=1-2&targetSliver=1&targetType=primary", "targetSliver=1", "id=x", "targetSliver=1&targetType=tertiary", "id=1-2&proofAxis=up"} {
		v, _ := url.ParseQuery(bad)
		if _, err := ParseRecoveryQuery(v); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestErrorBody(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, Errorf(ErrShardNotAssigned, "shard %d", 7))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("code %d", rec.Code)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	e := raw["error"]
	d := e["details"].([]any)[0].(map[string]any)
	if e["code"].(float64) != 400 || e["status"] != "FAILED_PRECONDITION" || e["message"] != "shard 7" ||
		d["@type"] != "ErrorInfo" || d["reason"] != "SHARD_NOT_ASSIGNED" || d["domain"] != Domain {
		t.Fatalf("body %s", rec.Body)
	}
	var back Error
	if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil || !errors.Is(&back, ErrShardNotAssigned) || errors.Is(&back, ErrNotFound) {
		t.Fatalf("parsed %v %v", back, err)
	}
	// Plain errors become internal errors.
	rec = httptest.NewRecorder()
	WriteError(rec, errors.New("boom"))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"INTERNAL"`) {
		t.Fatalf("internal: %d %s", rec.Code, rec.Body)
	}
}

func TestBlobStatusJSON(t *testing.T) {
	ice := uint32(3)
	for _, tc := range []struct {
		s    BlobStatus
		want string
	}{
		{BlobStatus{Kind: StatusNonexistent}, `"nonexistent"`},
		{BlobStatus{Kind: StatusInvalid, Event: EventID{Height: 1, Index: 2}}, `{"invalid":{"event":{"txDigest":"` + Base58(append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, make([]byte, 24)...)) + `","eventSeq":"2"}}}`},
		{BlobStatus{Kind: StatusPermanent, EndEpoch: 5, IsCertified: true, Event: EventID{Height: 300, Index: 1}, Counts: DeletableCounts{Total: 2, Certified: 1}, InitialCertifiedEpoch: &ice}, ""},
		{BlobStatus{Kind: StatusDeletable, Counts: DeletableCounts{Total: 2}}, `{"deletable":{"deletable_counts":{"count_deletable_total":2,"count_deletable_certified":0},"initial_certified_epoch":null}}`},
	} {
		b, err := json.Marshal(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want != "" && string(b) != tc.want {
			t.Fatalf("got %s want %s", b, tc.want)
		}
		var back BlobStatus
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(back)
		if string(b2) != string(b) {
			t.Fatalf("round trip %s -> %s", b, b2)
		}
	}
	b, _ := json.Marshal(BlobStatus{Kind: StatusPermanent, EndEpoch: 5, Event: EventID{Height: 1}})
	for _, k := range []string{`"end_epoch":5`, `"is_certified":false`, `"status_event":{"txDigest"`, `"deletable_counts"`, `"initial_certified_epoch":null`} {
		if !strings.Contains(string(b), k) {
			t.Fatalf("%s lacks %s", b, k)
		}
	}
}

func TestBase58(t *testing.T) {
	for _, b := range [][]byte{{}, {0}, {0, 0, 1}, {0xff, 0xee}, make([]byte, 32)} {
		got, err := ParseBase58(Base58(b))
		if err != nil || string(got) != string(b) {
			t.Fatalf("%x -> %q -> %x %v", b, Base58(b), got, err)
		}
	}
	if Base58([]byte("hello world")) != "StV1DL6CwTryKyV" {
		t.Fatal(Base58([]byte("hello world")))
	}
}

func FuzzParsePath(f *testing.F) {
	f.Add("AQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "7", "primary", "1-2")
	f.Add("", "65536", "tertiary", "-")
	f.Fuzz(func(t *testing.T, blob, pair, typ, sym string) {
		if id, err := ParseBlobID(blob); err == nil && id.String() != blob {
			t.Fatalf("blob ID %q not canonical", blob)
		}
		var zero encoding.BlobID
		if p, err := ParsePairIndex(pair); err == nil && SliverPath(zero, p, 0) != "/v1/blobs/"+zero.String()+"/slivers/"+pair+"/primary" {
			t.Fatalf("pair %q not canonical", pair)
		}
		if ty, err := ParseSliverType(typ); err == nil && ty.String() != typ {
			t.Fatalf("type %q", typ)
		}
		if s, err := ParseSymbolID(sym); err == nil && s.String() != sym {
			t.Fatalf("symbol %q -> %v", sym, s)
		}
		_, _ = ParseObjectID(blob)
	})
}

func FuzzParseRecoveryQuery(f *testing.F) {
	f.Add("id=1-2&id=3-4&proofAxis=primary")
	f.Add("targetSliver=3&targetType=secondary")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseRecoveryQuery(v)
		if err != nil {
			if !errors.Is(err, ErrInvalidParameter) {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		v2, _ := url.ParseQuery(q.Encode())
		if _, err := ParseRecoveryQuery(v2); err != nil {
			t.Fatalf("re-parse of %q: %v", q.Encode(), err)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`"nonexistent"`))
	f.Add([]byte(`{"invalid":{"event":{"txDigest":"1","eventSeq":"0"}}}`))
	f.Add([]byte(`{"error":{"code":400,"status":"X","message":"m","details":[{"@type":"ErrorInfo","reason":"R"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s BlobStatus
		if json.Unmarshal(b, &s) == nil {
			if _, err := json.Marshal(s); err != nil {
				t.Fatal(err)
			}
		}
		var e Error
		_ = json.Unmarshal(b, &e)
		var h ServiceHealthInfo
		_ = DecodeSuccess(b, &h)
	})
}

func TestSyncShardResponse(t *testing.T) {
	in := []SyncShardEntry{
		{BlobID: encoding.BlobID{1}, Sliver: &encoding.Sliver{Type: encoding.Primary, Index: 3, SymbolSize: 2, Data: []byte{1, 2, 3, 4}}},
		{BlobID: encoding.BlobID{2}, Sliver: &encoding.Sliver{Type: encoding.Secondary, Index: 9, SymbolSize: 4, Data: []byte{5, 6, 7, 8}}},
	}
	b := MarshalSyncShardResponse(in)
	out, err := UnmarshalSyncShardResponse(b)
	if err != nil || len(out) != 2 {
		t.Fatal(err)
	}
	for i := range in {
		if out[i].BlobID != in[i].BlobID || out[i].Sliver.Type != in[i].Sliver.Type || out[i].Sliver.Index != in[i].Sliver.Index {
			t.Fatalf("entry %d: %+v", i, out[i])
		}
	}
	if string(MarshalSyncShardResponse(out)) != string(b) {
		t.Fatal("round trip differs")
	}
	if _, err := UnmarshalSyncShardResponse(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzSyncShardResponse(f *testing.F) {
	f.Add(MarshalSyncShardResponse([]SyncShardEntry{{Sliver: &encoding.Sliver{SymbolSize: 2, Data: []byte{1, 2}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := UnmarshalSyncShardResponse(b)
		if err == nil && string(MarshalSyncShardResponse(out)) != string(b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}

func TestDecodingSymbols(t *testing.T) {
	ds := &DecodingSymbols{TargetType: encoding.Secondary, Symbols: map[uint16][]encoding.DecodingSymbol{
		1: {{Index: 2, Data: []byte{1, 2}}}, 256: {{Index: 0, Data: []byte{3, 4}}, {Index: 5, Data: []byte{5, 6}}},
	}}
	b := MarshalDecodingSymbols(ds)
	// Key 256 (bytes 00 01) sorts before key 1 (bytes 01 00).
	if b[1] != 0 || b[2] != 1 {
		t.Fatalf("keys not in BCS order: %x", b)
	}
	back, err := UnmarshalDecodingSymbols(encoding.Secondary, b)
	if err != nil || len(back.Symbols[256]) != 2 || string(MarshalDecodingSymbols(back)) != string(b) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := UnmarshalDecodingSymbols(encoding.Primary, b); err == nil {
		t.Fatal("wrong type accepted")
	}
	for _, raw := range []string{"targetSlivers=1,2&targetType=primary", "targetSlivers=1&targetSlivers=7&targetType=secondary"} {
		v, _ := url.ParseQuery(raw)
		if _, err := ParseDecodingQuery(v); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
	}
	for _, raw := range []string{"", "targetSlivers=1,1&targetType=primary", "targetSlivers=&targetType=primary", "targetSlivers=1"} {
		v, _ := url.ParseQuery(raw)
		if _, err := ParseDecodingQuery(v); !errors.Is(err, ErrInvalidParameter) {
			t.Fatalf("%q: %v", raw, err)
		}
	}
}

func FuzzDecodingSymbols(f *testing.F) {
	f.Add(byte(0), MarshalDecodingSymbols(&DecodingSymbols{Symbols: map[uint16][]encoding.DecodingSymbol{3: {{Index: 1, Data: []byte{9, 9}}}}}))
	f.Fuzz(func(t *testing.T, ty byte, b []byte) {
		st := encoding.SliverType(ty % 2)
		ds, err := UnmarshalDecodingSymbols(st, b)
		if err == nil && string(MarshalDecodingSymbols(ds)) != string(b) {
			t.Fatalf("not canonical: %x", b)
		}
	})
}

func TestOpenAPI(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/v1/blobs/{blob_id}/slivers/{sliver_pair_index}/{sliver_type}"]["put"]; !ok || len(doc.Paths) != 13 {
		t.Fatalf("%d paths", len(doc.Paths))
	}
}
