package lookup_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership/lookup"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

const stack = "play-kubernetes/dev"

var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

func namespace(name string) ownership.Object {
	return ownership.Object{Resource: namespaces, Kind: "namespace", Name: name}
}

// TestClusterReadsMetadata: the metadata client's requests, for a
// cluster-scoped and a namespaced object, and a 404 read as absent.
func TestClusterReadsMetadata(t *testing.T) {
	objects := map[string]map[string]string{
		"/api/v1/namespaces/team-existing":                                    {"team": "x"},
		"/apis/networking.istio.io/v1/namespaces/playground/gateways/gateway": {ownership.Annotation: stack},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		a, ok := objects[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]interface{}{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
			return
		}
		json.NewEncoder(w).Encode(map[string]interface{}{
			"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
			"metadata": map[string]interface{}{"name": "x", "annotations": a},
		})
	}))
	defer srv.Close()
	c, err := lookup.New(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	gateways := schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "gateways"}
	cases := []struct {
		object    ownership.Object
		wantFound bool
		wantKey   string
	}{
		{namespace("team-existing"), true, "team"},
		{namespace("playground"), false, ""},
		{ownership.Object{Resource: gateways, Kind: "gateway", Namespace: "playground", Name: "gateway"}, true, ownership.Annotation},
	}
	for _, tc := range cases {
		a, found, err := c.Annotations(context.Background(), tc.object)
		if err != nil {
			t.Fatalf("%s: %v", tc.object, err)
		}
		if found != tc.wantFound || (tc.wantKey != "" && a[tc.wantKey] == "") {
			t.Errorf("%s: found %v annotations %v, want found %v with %q", tc.object, found, a, tc.wantFound, tc.wantKey)
		}
	}
}
