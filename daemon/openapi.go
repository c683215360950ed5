package daemon

import (
	"encoding/json"
	"net/http"
	"strings"
)

// routeDoc describes one route for the OpenAPI description.
type routeDoc struct {
	pattern, summary, response string
	query                      []string // "name:type:description"
	publisher, aggregator      bool     // which API serves it (both: always)
}

var routeDocs = []routeDoc{
	{routeStore, "Store the body as a blob; 200 {\"newlyCreated\":…} , {\"alreadyCertified\":…} or {\"markedInvalid\":…}; 400 bad parameters, 413 too large, 429/503 overloaded, 504 not enough nodes in time",
		"application/json", storeQuery, true, false},
	{routeStoreLegacy, "Legacy alias of PUT /v1/blobs", "application/json", storeQuery, true, false},
	{routeBlob, "The blob's bytes (a single Range: bytes=a-b gives 206; 416 if unsatisfiable; If-None-Match gives 304); 404 not found, expired or invalid (see the error reason), 503 not enough nodes",
		"application/octet-stream", readQuery, false, true},
	{routeByObject, "The bytes of the blob of a Blob or shared blob object; allowed attributes become response headers", "application/octet-stream", readQuery, false, true},
	{routeByteRange, "Bytes [start, start+length) of the blob (206 with Content-Range; 416 if start is past the end)", "application/octet-stream",
		append([]string{"start:integer:first byte (required)", "length:integer:number of bytes, at least 1 (required)"}, readQuery...), false, true},
	{routeStream, "The blob streamed as its slivers arrive (no Content-Length)", "application/octet-stream", readQuery, false, true},
	{routeConcat, "The blobs named by ids (blob IDs or Blob object IDs), one after the other, with a Content-Length; 400 bad IDs, 404 a blob or object missing (checked before any byte); a blob failing mid-stream cuts the connection",
		"application/octet-stream", append([]string{"ids:string:comma-separated blob IDs or object IDs (required)"}, readQuery...), false, true},
	{routeConcatPost, "As GET /v1alpha/blobs/concat, the IDs in a JSON body {\"ids\":[…],\"strict_consistency_check\":bool,\"skip_consistency_check\":bool}",
		"application/octet-stream", nil, false, true},
	{routeStatus, "Which APIs are served, the epoch and committee size, operations in flight and queued", "application/json", nil, true, true},
	{routeAPI, "This description", "application/json", nil, true, true},
}

var storeQuery = []string{
	"epochs:integer:epochs to store for, counting the current one (default 1)",
	"permanent:boolean:store a permanent blob (default: deletable)",
	"deletable:boolean:store a deletable blob (the default; excludes permanent)",
	"force:boolean:store even if already certified",
	"reuse_resources:boolean:use storage resources the publisher's wallet owns (default false: buy new storage)",
	"send_object_to:string:address (0x…) that receives the Blob object (excludes share)",
	"share:boolean:turn the Blob object into a shared blob (excludes send_object_to)",
	"encoding_type:string:RS2 (the only one)",
}

// concatSchema is the JSON schema of the concat POST body.
var concatSchema = map[string]any{
	"type": "object", "required": []string{"ids"}, "additionalProperties": false,
	"properties": map[string]any{
		"ids":                      map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "blob IDs or Blob object IDs"},
		"strict_consistency_check": map[string]any{"type": "boolean"},
		"skip_consistency_check":   map[string]any{"type": "boolean"},
	},
}

var readQuery = []string{
	"strict_consistency_check:boolean:re-encode the blob and check its ID",
	"skip_consistency_check:boolean:skip the consistency check",
}

// openAPI returns an OpenAPI 3 description of the routes s serves.
func (s *Server) openAPI() []byte {
	paths := map[string]map[string]any{}
	for _, r := range routeDocs {
		if !(r.publisher && r.aggregator) && !(r.publisher && s.cfg.Publisher) && !(r.aggregator && s.cfg.Aggregator) {
			continue
		}
		method, path, _ := strings.Cut(r.pattern, " ")
		op := map[string]any{
			"summary": r.summary,
			"responses": map[string]any{
				"2XX":     map[string]any{"description": "success", "content": map[string]any{r.response: map[string]any{}}},
				"default": map[string]any{"description": "AIP-193 error (reason in details[0].reason)", "content": map[string]any{"application/json": map[string]any{}}},
			},
		}
		var params []map[string]any
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				params = append(params, map[string]any{"name": seg[1 : len(seg)-1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.query {
			parts := strings.SplitN(q, ":", 3)
			params = append(params, map[string]any{"name": parts[0], "in": "query", "required": strings.Contains(parts[2], "(required)"),
				"description": parts[2], "schema": map[string]any{"type": parts[1]}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.pattern == routeStore || r.pattern == routeStoreLegacy {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{}}}
			if s.auth != nil {
				op["security"] = []map[string]any{{"bearerJWT": []string{}}}
				op["description"] = "Authenticated publisher: Authorization: Bearer <JWT> with exp and jti (single use), " +
					"optional iat, epochs or max_epochs, size or max_size, send_object_to; 401 for a missing, invalid, expired or reused token, " +
					"400 for a request the claims do not allow"
			}
		}
		if r.pattern == routeConcatPost {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": concatSchema}}}
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Walrus publisher and aggregator API", "version": "v1"},
		"paths":   paths,
	}
	if s.auth != nil {
		doc["components"] = map[string]any{"securitySchemes": map[string]any{
			"bearerJWT": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(s.openAPI())
}
