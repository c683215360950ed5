package nodeapi

import (
	"encoding/json"
	"strings"
)

// RouteAPI serves the API's OpenAPI description.
const RouteAPI = "GET /v1/api"

// routeDocs lists every route with a one-line summary; OpenAPI builds the
// description from it.
var routeDocs = []struct{ pattern, summary, response string }{
	{RouteHealth, "Node health: uptime, epoch, key, status, event progress, shards (detailed=true lists them)", ContentTypeJSON},
	{RouteGetMetadata, "Blob metadata (BCS BlobMetadataWithId)", ContentTypeBCS},
	{RoutePutMetadata, "Store blob metadata (BCS BlobMetadata); 201 stored, 200 already stored, 202 buffered (pending=true)", ContentTypeJSON},
	{RouteMetadataStatus, "Metadata status: nonexistent, buffered or stored", ContentTypeJSON},
	{RoutePutSliver, "Store a sliver (BCS); 201, 200 or 202 as for metadata", ContentTypeJSON},
	{RouteGetSliver, "A sliver (BCS)", ContentTypeBCS},
	{RouteSliverStatus, "Sliver status: nonexistent, buffered or stored", ContentTypeJSON},
	{RoutePermanentConfirmation, "Signed storage confirmation of a permanent blob (wait_for_registration, wait_millis)", ContentTypeJSON},
	{RouteDeletableConfirmation, "Signed storage confirmation bound to a deletable Blob object", ContentTypeJSON},
	{RouteRecoverySymbols, "Recovery symbols with proofs (id=<p>-<s>... or targetSliver and targetType; proofAxis)", ContentTypeBCS},
	{RouteDecodingSymbols, "Decoding symbols without proofs (targetSlivers, targetType)", ContentTypeBCS},
	{RouteInconsistencyProof, "Verify an inconsistency proof (BCS) and return a signed invalid-blob attestation", ContentTypeJSON},
	{RouteBlobStatus, "Blob status (JSON BlobStatus)", ContentTypeJSON},
	{RouteSyncShard, "Shard sync: slivers of a shard for its new owner (signed request, Authorization: BLS key)", ContentTypeBCS},
	{RouteAPI, "This description", ContentTypeJSON},
}

// OpenAPI returns an OpenAPI 3 description of the routes.
func OpenAPI() []byte {
	paths := map[string]map[string]any{}
	for _, r := range routeDocs {
		method, path, _ := strings.Cut(r.pattern, " ")
		op := map[string]any{
			"summary": r.summary,
			"responses": map[string]any{
				"2XX":     map[string]any{"description": "success", "content": map[string]any{r.response: map[string]any{}}},
				"default": map[string]any{"description": "AIP-193 error", "content": map[string]any{ContentTypeJSON: map[string]any{}}},
			},
		}
		var params []map[string]any
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				params = append(params, map[string]any{"name": seg[1 : len(seg)-1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	b, _ := json.MarshalIndent(map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Walrus storage node API", "version": "v1"},
		"paths":   paths,
	}, "", "  ")
	return b
}
