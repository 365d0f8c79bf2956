package preflight_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/preflight"
	"k8s.io/client-go/rest"
)

// fakeAPIServer answers the two reviews Authorized sends.
func fakeAPIServer(t *testing.T, authn int, allowed bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case authn != http.StatusCreated:
			reason := map[int]string{http.StatusUnauthorized: "Unauthorized"}[authn]
			if reason == "" {
				reason = "InternalError"
			}
			w.WriteHeader(authn)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":%q,"reason":%q,"code":%d}`, reason, reason, authn)
		case strings.HasSuffix(r.URL.Path, "/selfsubjectreviews"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","status":{"userInfo":{"username":"dev-user"}}}`)
		case strings.HasSuffix(r.URL.Path, "/selfsubjectaccessreviews"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{},"status":{"allowed":%v}}`, allowed)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAuthorized(t *testing.T) {
	cases := []struct {
		name    string
		authn   int
		allowed bool
		verb    string
		want    string // "" means authorized
	}{
		{"admin", http.StatusCreated, true, "create", ""},
		{"credentials refused", http.StatusUnauthorized, false, "create", "refused the credentials"},
		{"credentials refused, read-only command", http.StatusUnauthorized, false, "", "refused the credentials"},
		{"user without rights", http.StatusCreated, false, "create", `user "dev-user" may not create namespaces`},
		{"user without rights to destroy", http.StatusCreated, false, "delete", `user "dev-user" may not delete namespaces`},
		{"read-only reviewer previews", http.StatusCreated, false, "", ""},
		{"server error", http.StatusInternalServerError, false, "create", "did not answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeAPIServer(t, tc.authn, tc.allowed)
			target := clustertarget.Target{Context: "dev", Server: srv.URL}
			err := preflight.Authorized(context.Background(), target, &rest.Config{Host: srv.URL}, 5*time.Second, tc.verb)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), `"dev"`) {
				t.Errorf("error %v, want one naming the context, saying %q and that nothing was changed", err, tc.want)
			}
		})
	}
}
