package server_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
)

// recordedHeaders are the headers TestChainForwardsHeaders looks for at
// the end of the chain, lower-case.
var recordedHeaders = []string{"end-user", "x-canary", "x-other"}

// recordHeaders picks recordedHeaders out of what get finds.
func recordHeaders(get func(name string) []string) map[string][]string {
	got := map[string][]string{}
	for _, name := range recordedHeaders {
		if vs := get(name); len(vs) > 0 {
			got[name] = vs
		}
	}
	return got
}

// recorderAnswer is what the stand-in after C answers.
const recorderAnswer = `{"SERVICE_TYPE":"recorder"}`

// headerRecorder serves as C's next hop over transport and sends the
// recorded headers of each call it gets to seen; it returns its NEXT.
func headerRecorder(t *testing.T, transport string, seen chan<- map[string][]string) string {
	t.Helper()
	if transport == "grpc" {
		return fakeGRPCNext(t, func(ctx context.Context) (*wrapperspb.BytesValue, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			seen <- recordHeaders(md.Get)
			return wrapperspb.Bytes([]byte(recorderAnswer)), nil
		})
	}
	return fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
		seen <- recordHeaders(r.Header.Values)
		_, _ = w.Write([]byte(recorderAnswer))
	})
}

// TestChainForwardsHeaders: a header FORWARD_HEADERS names, sent to A,
// reaches what C calls, every value in order, whichever transport carries
// it: over HTTP from hop to hop, and over gRPC from A's HTTP request into
// metadata, through B's and C's gRPC servers and clients. Headers it does
// not name do not, and with it unset nothing extra is sent.
func TestChainForwardsHeaders(t *testing.T) {
	sent := http.Header{"End-User": {"jason", "kim"}, "X-Canary": {"true"}, "X-Other": {"1"}}
	tests := []struct {
		name    string
		forward string // FORWARD_HEADERS; "" = unset
		want    map[string][]string
	}{
		{"unset: nothing extra", "", map[string][]string{}},
		{"one name: only that header, every value", "end-user", map[string][]string{"end-user": {"jason", "kim"}}},
		{"two names, any case", "End-User, x-canary", map[string][]string{"end-user": {"jason", "kim"}, "x-canary": {"true"}}},
	}
	for _, transport := range []string{"http", "grpc"} {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				seen := make(chan map[string][]string, 1)
				env := map[string]string{}
				if tt.forward != "" {
					env["FORWARD_HEADERS"] = tt.forward
				}
				a, _, _ := startChainTo(t, transport, headerRecorder(t, transport, seen), env,
					func(config.Config) hopOptions { return hopOptions{} })

				req, err := http.NewRequest(http.MethodGet, a.URL+"/service", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = sent.Clone()
				resp, err := newTestClient().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d", resp.StatusCode)
				}
				// The recorder answered before A did, so its record waits.
				select {
				case got := <-seen:
					if !reflect.DeepEqual(got, tt.want) {
						t.Errorf("reached the end of the chain: %v, want %v", got, tt.want)
					}
				default:
					t.Fatal("the recorder after C was not called")
				}
			})
		}
	}
}

// TestChainAnswersWithVersion: with SERVICE_VERSION set, the end of the
// chain's answer carries it after the tutorial's keys, over either
// transport, and A passes it on unchanged.
func TestChainAnswersWithVersion(t *testing.T) {
	const want = `{"SERVICE_TYPE":"C","SERVICE_HOST":null,"SERVICE_PORT":null,"DNS_NAME":"service-c.default.svc.cluster.local","VERSION":"v2"}`
	for _, transport := range []string{"http", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			a, _, _ := startChain(t, transport, map[string]string{"SERVICE_VERSION": "v2"},
				func(config.Config) hopOptions { return hopOptions{} })
			status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
			if status != http.StatusOK || string(body) != want {
				t.Errorf("A answered %d %s\nwant 200 %s", status, body, want)
			}
		})
	}
}
